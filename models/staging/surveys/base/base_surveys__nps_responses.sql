{{ config(materialized='table') }}

-- Typed, PII-hashed, version-ranked and validated rows of raw surveys/nps_responses.
-- One row per raw row: stg_surveys__nps_responses keeps the accepted winners,
-- qrt_surveys__nps_responses the invalid winners (and every null-key row).

with

source as (

    select * from {{ source('surveys', 'nps_responses') }}

),

markets as (

    select distinct market_code as known_market_code from {{ ref('markets') }}

),

accepted_customers as (

    select distinct customer_id as accepted_customer_id from {{ ref('stg_shop__customers') }}

),

typed as (

    select
        {{ dbt.safe_cast('response_id', dbt.type_string()) }} as response_id,
        {{ dbt.safe_cast('customer_id', dbt.type_string()) }} as customer_id,
        {{ dbt.safe_cast('market_code', dbt.type_string()) }} as market_code,
        {{ dbt.safe_cast('responded_at', dbt.type_timestamp()) }} as responded_at,
        {{ dbt.safe_cast('score', dbt.type_int()) }} as score,
        {{ dbt.safe_cast('_loaded_at', dbt.type_timestamp()) }} as loaded_at,
        (
            {{ cast_failed('responded_at', dbt.safe_cast('responded_at', dbt.type_timestamp())) }}
            or {{ cast_failed('score', dbt.safe_cast('score', dbt.type_int())) }}
            or {{ cast_failed('_loaded_at', dbt.safe_cast('_loaded_at', dbt.type_timestamp())) }}
        ) as has_invalid_type,
        {{ row_to_json({
            'response_id': 'response_id',
            'customer_id': 'customer_id',
            'market_code': 'market_code',
            'responded_at': 'responded_at',
            'score': 'score',
            '_loaded_at': '_loaded_at'
        }) }} as raw_row
    from source

),

ranked as (

    select
        *,
        {{ row_key(['response_id']) }} as row_key,
        {{ dedupe_row_number(
            ['response_id'],
            ['loaded_at desc', 'raw_row desc']
        ) }} as version_rank
    from typed

),

validated as (

    select
        *,
        case
            when
                response_id is null
                then 'null_key'
            when
                market_code is null
                or known_market_code is null
                then 'unknown_market'
            when
                score < 0
                or score > 10
                then 'score_out_of_range'
            when
                (customer_id is not null and accepted_customer_id is null)
                then 'orphan_reference'
            when
                {{ is_future('responded_at') }}
                then 'future_timestamp'
            when
                has_invalid_type
                or loaded_at is null
                then 'invalid_value'
        end as quarantine_reason
    from ranked
    left join markets on ranked.market_code = markets.known_market_code
    left join accepted_customers on ranked.customer_id = accepted_customers.accepted_customer_id

),

final as (

    select
        'surveys/nps_responses' as source_table,
        row_key,
        response_id,
        customer_id,
        market_code,
        responded_at,
        score,
        loaded_at,
        raw_row,
        (row_key is not null and version_rank > 1) as is_duplicate,
        quarantine_reason
    from validated

)

select * from final
