-- One row per order with its KPI measure input (orders_placed = 1), dated by the
-- local order date: summed per period by int_kpi__order_measures and per any
-- grouping by the semantic layer. Orders have no channel and no agent.

with

orders as (

    select * from {{ ref('int_orders__localized') }}

),

final as (

    select
        order_id,
        ordered_date_local as activity_date,
        market_code,
        1 as orders_placed
    from orders

)

select * from final
