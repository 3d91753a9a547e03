-- Orders placed per period (local order date), market; channel all only.

with

orders as (

    select * from {{ ref('int_orders__localized') }}

),

grains as (

    {{ kpi_grains_select() }}

),

expanded as (

    select
        grains.period_grain,
        {{ period_start_for_grain('orders.ordered_date_local') }} as period_start,
        orders.market_code,
        orders.order_id
    from orders
    cross join grains

),

final as (

    select
        period_grain,
        period_start,
        market_code,
        'all' as channel,
        count(*) as orders_placed
    from expanded
    group by
        period_grain,
        period_start,
        market_code

)

select * from final
