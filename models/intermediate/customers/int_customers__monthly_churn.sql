-- One row per customer and month in which the customer is active at the month
-- start (an order in the churn_inactivity_days days before it), with the churn
-- flag: the inactivity window (last order before the month start +
-- churn_inactivity_days) expires inside the month without a new order.
-- Dates are local order dates; the market is the customer's market.

{%- set inactivity_days = checked_var('churn_inactivity_days') %}

with

orders as (

    select * from {{ ref('int_orders__localized') }}

),

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

customer_order_days as (

    select distinct
        customer_id,
        ordered_date_local as order_date
    from orders
    where customer_id is not null

),

month_bounds as (

    select
        {{ month_start('min(order_date)') }} as first_month,
        {{ month_start('max(order_date)') }} as last_month
    from customer_order_days

),

month_numbers as (

    {{ integer_series(1200) }}

),

months as (

    select
        cast({{ dbt.dateadd('month', 'month_numbers.n', 'month_bounds.first_month') }} as date)
            as month_start,
        cast({{ dbt.dateadd('month', 'month_numbers.n + 1', 'month_bounds.first_month') }} as date)
            as next_month_start
    from month_bounds
    cross join month_numbers
    where
        {{ dbt.dateadd('month', 'month_numbers.n', 'month_bounds.first_month') }}
        <= month_bounds.last_month

),

active_at_start as (

    select
        customer_order_days.customer_id,
        months.month_start,
        months.next_month_start,
        max(customer_order_days.order_date) as last_order_date
    from customer_order_days
    inner join months
        on
            customer_order_days.order_date < months.month_start
            and customer_order_days.order_date
            >= cast({{ dbt.dateadd('day', -inactivity_days, 'months.month_start') }} as date)
    group by
        customer_order_days.customer_id,
        months.month_start,
        months.next_month_start

),

with_expiry as (

    select
        *,
        cast({{ dbt.dateadd('day', inactivity_days, 'last_order_date') }} as date)
            as inactivity_expires_on
    from active_at_start

),

renewals as (

    select
        with_expiry.customer_id,
        with_expiry.month_start,
        count(*) as orders_before_expiry
    from with_expiry
    inner join customer_order_days
        on
            with_expiry.customer_id = customer_order_days.customer_id
            and with_expiry.month_start <= customer_order_days.order_date
            and with_expiry.inactivity_expires_on >= customer_order_days.order_date
    group by
        with_expiry.customer_id,
        with_expiry.month_start

),

final as (

    select
        with_expiry.customer_id,
        customers.market_code,
        with_expiry.month_start,
        with_expiry.last_order_date,
        with_expiry.inactivity_expires_on,
        coalesce(
            with_expiry.inactivity_expires_on < with_expiry.next_month_start
            and renewals.orders_before_expiry is null, false
        ) as is_churned
    from with_expiry
    inner join customers
        on with_expiry.customer_id = customers.customer_id
    left join renewals
        on
            with_expiry.customer_id = renewals.customer_id
            and with_expiry.month_start = renewals.month_start

)

select * from final
