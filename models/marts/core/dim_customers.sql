-- One row per customer (no PII): market, sign-up and first/last order. A customer that a call
-- or ticket names but shop/customers lacks (or shop is absent) is an inferred member:
-- is_inferred = true, sign-up null, market from the referencing rows (the first by code).

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

calls as (

    select * from {{ ref('stg_telephony__calls') }}

),

tickets as (

    select * from {{ ref('stg_helpdesk__tickets') }}

),

customer_references as (

    select
        customer_id,
        market_code
    from calls
    where customer_id is not null
    union all
    select
        customer_id,
        market_code
    from tickets
    where customer_id is not null

),

inferred_customers as (

    select
        customer_references.customer_id,
        min(customer_references.market_code) as market_code
    from customer_references
    left join customers
        on customer_references.customer_id = customers.customer_id
    where customers.customer_id is null
    group by customer_references.customer_id

),

members as (

    select
        customer_id,
        market_code,
        created_at,
        false as is_inferred
    from customers
    union all
    select
        customer_id,
        market_code,
        cast(null as {{ dbt.type_timestamp() }}) as created_at,
        true as is_inferred
    from inferred_customers

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
        members.customer_id,
        members.market_code,
        members.created_at,
        cast({{ to_local_timestamp('members.created_at', 'markets.timezone') }} as date)
            as created_date_local,
        order_summary.first_order_at,
        order_summary.first_order_date_local,
        order_summary.last_order_date_local,
        coalesce(order_summary.order_count, 0) as order_count,
        members.is_inferred
    from members
    left join markets
        on members.market_code = markets.market_code
    left join order_summary
        on members.customer_id = order_summary.customer_id

)

select * from final
