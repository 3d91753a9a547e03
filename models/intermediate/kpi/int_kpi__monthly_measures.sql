-- Month-only measures on channel all: operating cost in EUR (by cost_month) and
-- customers active at the month start / churned in the month; the sums of
-- int_kpi__monthly_facts.

with

monthly_facts as (

    select * from {{ ref('int_kpi__monthly_facts') }}

),

final as (

    select
        'month' as period_grain,
        month_start as period_start,
        market_code,
        'all' as channel,
        -- kept in the exact money type (PostgreSQL widens a numeric sum to unconstrained numeric)
        cast(sum(operating_cost_eur) as {{ type_money() }}) as operating_cost_eur,
        sum(operating_cost_rows) as operating_cost_rows,
        sum(customers_active_at_start) as customers_active_at_start,
        sum(customers_churned) as customers_churned
    from monthly_facts
    group by
        month_start,
        market_code

)

select * from final
