-- Month-only measures on channel all: operating cost in EUR (by cost_month) and
-- customers active at the month start / churned in the month.

with

costs as (

    select * from {{ ref('int_operating_costs__eur') }}

),

churn as (

    select * from {{ ref('int_customers__monthly_churn') }}

),

cost_facts as (

    select
        market_code,
        cost_month as period_start,
        amount_eur as operating_cost_eur,
        1 as operating_cost_rows,
        0 as customers_active_at_start,
        0 as customers_churned
    from costs

),

churn_facts as (

    select
        market_code,
        month_start as period_start,
        0 as operating_cost_eur,
        0 as operating_cost_rows,
        1 as customers_active_at_start,
        case when is_churned then 1 else 0 end as customers_churned
    from churn

),

monthly_facts as (

    select * from cost_facts
    union all
    select * from churn_facts

),

final as (

    select
        'month' as period_grain,
        period_start,
        market_code,
        'all' as channel,
        sum(operating_cost_eur) as operating_cost_eur,
        sum(operating_cost_rows) as operating_cost_rows,
        sum(customers_active_at_start) as customers_active_at_start,
        sum(customers_churned) as customers_churned
    from monthly_facts
    group by
        period_start,
        market_code

)

select * from final
