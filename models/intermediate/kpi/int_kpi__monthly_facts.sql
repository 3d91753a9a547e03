-- Month-only KPI measure inputs on channel all, one row per fact (fact_type,
-- fact_key, month_start): 'cost' rows carry an operating cost in EUR and count as a cost row (by
-- cost_month), 'churn' rows a customer active at the month start (1) and whether
-- they churned in the month. Summed per month by int_kpi__monthly_measures and
-- per any grouping by the semantic layer. No channel, no agent.

with

costs as (

    select * from {{ ref('int_operating_costs__eur') }}

),

churn as (

    select * from {{ ref('int_customers__monthly_churn') }}

),

cost_facts as (

    select
        'cost' as fact_type,
        operating_cost_id as fact_key,
        cost_month as month_start,
        market_code,
        amount_eur as operating_cost_eur,
        1 as operating_cost_rows,
        0 as customers_active_at_start,
        0 as customers_churned
    from costs

),

churn_facts as (

    select
        'churn' as fact_type,
        customer_id as fact_key,
        month_start,
        market_code,
        cast(0 as {{ type_money() }}) as operating_cost_eur,
        0 as operating_cost_rows,
        1 as customers_active_at_start,
        case when is_churned then 1 else 0 end as customers_churned
    from churn

),

final as (

    select * from cost_facts
    union all
    select * from churn_facts

)

select * from final
