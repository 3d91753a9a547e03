-- One row per customer (no PII): market, sign-up and first/last order.

with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

markets as (

    select * from {{ ref('stg_reference__markets') }}

),

orders as (

    select * from {{ ref('int_orders__localized') }}

),

order_summary as (

    select
        customer_id,
        min(ordered_at) as first_order_at,
        min(ordered_date_local) as first_order_date_local,
        max(ordered_date_local) as last_order_date_local,
        count(*) as order_count
    from orders
    where customer_id is not null
    group by customer_id

),

final as (

    select
        customers.customer_id,
        customers.market_code,
        customers.created_at,
        cast({{ to_local_timestamp('customers.created_at', 'markets.timezone') }} as date)
            as created_date_local,
        order_summary.first_order_at,
        order_summary.first_order_date_local,
        order_summary.last_order_date_local,
        coalesce(order_summary.order_count, 0) as order_count
    from customers
    left join markets
        on customers.market_code = markets.market_code
    left join order_summary
        on customers.customer_id = order_summary.customer_id

)

select * from final
