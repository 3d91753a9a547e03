{{ config(materialized='table') }}

-- Typed, PII-hashed, version-ranked and validated rows of raw shop/customers.
-- One row per raw row: stg_shop__customers keeps the accepted winners,
-- qrt_shop__customers the invalid winners (and every null-key row).

with

source as (

    select * from {{ source('shop', 'customers') }}

),

markets as (

    select distinct market_code as known_market_code from {{ ref('markets') }}

),

typed as (

    select
        {{ dbt.safe_cast('customer_id', dbt.type_string()) }} as customer_id,
        {{ dbt.safe_cast('market_code', dbt.type_string()) }} as market_code,
        {{ hash_pii('email') }} as email_hash,
        {{ hash_pii('phone') }} as phone_hash,
        {{ dbt.safe_cast('created_at', dbt.type_timestamp()) }} as created_at,
        {{ dbt.safe_cast('_loaded_at', dbt.type_timestamp()) }} as loaded_at,
        (
            {{ cast_failed('created_at', dbt.safe_cast('created_at', dbt.type_timestamp())) }}
            or {{ cast_failed('_loaded_at', dbt.safe_cast('_loaded_at', dbt.type_timestamp())) }}
        ) as has_invalid_type,
        {{ row_to_json({
            'customer_id': 'customer_id',
            'market_code': 'market_code',
            'email_hash': hash_pii('email'),
            'phone_hash': hash_pii('phone'),
            'created_at': 'created_at',
            '_loaded_at': '_loaded_at'
        }) }} as raw_row
    from source

),

ranked as (

    select
        *,
        {{ row_key(['customer_id']) }} as row_key,
        {{ dedupe_row_number(
            ['customer_id'],
            ['loaded_at desc', 'raw_row desc']
        ) }} as version_rank
    from typed

),

validated as (

    select
        *,
        case
            when
                customer_id is null
                then 'null_key'
            when
                market_code is null
                or known_market_code is null
                then 'unknown_market'
            when
                {{ is_future('created_at') }}
                then 'future_timestamp'
            when
                has_invalid_type
                or loaded_at is null
                then 'invalid_value'
        end as quarantine_reason
    from ranked
    left join markets on ranked.market_code = markets.known_market_code

),

final as (

    select
        'shop/customers' as source_table,
        row_key,
        customer_id,
        market_code,
        email_hash,
        phone_hash,
        created_at,
        loaded_at,
        raw_row,
        (row_key is not null and version_rank > 1) as is_duplicate,
        quarantine_reason
    from validated

)

select * from final
