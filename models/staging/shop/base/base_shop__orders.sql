{{ config(materialized='table') }}

-- Typed, PII-hashed, version-ranked and validated rows of raw shop/orders.
-- One row per raw row: stg_shop__orders keeps the accepted winners,
-- qrt_shop__orders the invalid winners (and every null-key row).

with

source as (

    select * from {{ source('shop', 'orders') }}

),

markets as (

    select distinct market_code as known_market_code from {{ ref('markets') }}

),

accepted_customers as (

    select distinct customer_id as accepted_customer_id from {{ ref('stg_shop__customers') }}

),

typed as (

    select
        {{ dbt.safe_cast('order_id', dbt.type_string()) }} as order_id,
        {{ dbt.safe_cast('customer_id', dbt.type_string()) }} as customer_id,
        {{ dbt.safe_cast('market_code', dbt.type_string()) }} as market_code,
        {{ dbt.safe_cast('ordered_at', dbt.type_timestamp()) }} as ordered_at,
        {{ dbt.safe_cast('updated_at', dbt.type_timestamp()) }} as updated_at,
        {{ dbt.safe_cast('status', dbt.type_string()) }} as status,
        {{ dbt.safe_cast('currency', dbt.type_string()) }} as currency,
        {{ dbt.safe_cast('total_amount', type_float64()) }} as total_amount,
        {{ dbt.safe_cast('_loaded_at', dbt.type_timestamp()) }} as loaded_at,
        (
            {{ cast_failed('ordered_at', dbt.safe_cast('ordered_at', dbt.type_timestamp())) }}
            or {{ cast_failed('updated_at', dbt.safe_cast('updated_at', dbt.type_timestamp())) }}
            or {{ cast_failed('total_amount', dbt.safe_cast('total_amount', type_float64())) }}
            or {{ cast_failed('_loaded_at', dbt.safe_cast('_loaded_at', dbt.type_timestamp())) }}
        ) as has_invalid_type,
        {{ row_to_json({
            'order_id': 'order_id',
            'customer_id': 'customer_id',
            'market_code': 'market_code',
            'ordered_at': 'ordered_at',
            'updated_at': 'updated_at',
            'status': 'status',
            'currency': 'currency',
            'total_amount': 'total_amount',
            '_loaded_at': '_loaded_at'
        }) }} as raw_row
    from source

),

ranked as (

    select
        *,
        {{ row_key(['order_id']) }} as row_key,
        {{ dedupe_row_number(
            ['order_id'],
            ['loaded_at desc', 'updated_at desc', 'raw_row desc']
        ) }} as version_rank
    from typed

),

validated as (

    select
        *,
        case
            when
                order_id is null
                then 'null_key'
            when
                market_code is null
                or known_market_code is null
                then 'unknown_market'
            when
                updated_at < ordered_at
                then 'end_before_start'
            when
                (customer_id is not null and accepted_customer_id is null)
                then 'orphan_reference'
            when
                {{ is_future('ordered_at') }}
                or {{ is_future('updated_at') }}
                then 'future_timestamp'
            when
                has_invalid_type
                or loaded_at is null
                or {{ not_accepted('status', ['placed', 'shipped', 'delivered', 'cancelled', 'returned']) }}
                then 'invalid_value'
        end as quarantine_reason
    from ranked
    left join markets on ranked.market_code = markets.known_market_code
    left join accepted_customers on ranked.customer_id = accepted_customers.accepted_customer_id

),

final as (

    select
        'shop/orders' as source_table,
        row_key,
        order_id,
        customer_id,
        market_code,
        ordered_at,
        updated_at,
        status,
        currency,
        total_amount,
        loaded_at,
        raw_row,
        (row_key is not null and version_rank > 1) as is_duplicate,
        quarantine_reason
    from validated

)

select * from final
