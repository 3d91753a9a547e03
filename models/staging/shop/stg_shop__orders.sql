-- Accepted rows of raw shop/orders: latest version per primary key, validated (SPEC §3, §5).

with

base as (

    select * from {{ ref('base_shop__orders') }}

),

accepted as (

    select
        order_id,
        customer_id,
        market_code,
        ordered_at,
        updated_at,
        status,
        currency,
        total_amount,
        loaded_at
    from base
    where
        not is_duplicate
        and quarantine_reason is null

),

final as (

    select * from accepted

)

select * from final
