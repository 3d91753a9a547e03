-- Orders placed per period (local order date), market; channel all only: the sums
-- of int_kpi__order_facts.

with

order_facts as (

    select * from {{ ref('int_kpi__order_facts') }}

),

grains as (

    {{ kpi_grains_select() }}

),

expanded as (

    select
        grains.period_grain,
        {{ period_start_for_grain('order_facts.activity_date') }} as period_start,
        order_facts.market_code,
        order_facts.orders_placed
    from order_facts
    cross join grains

),

final as (

    select
        period_grain,
        period_start,
        market_code,
        'all' as channel,
        sum(orders_placed) as orders_placed
    from expanded
    group by
        period_grain,
        period_start,
        market_code

)

select * from final
