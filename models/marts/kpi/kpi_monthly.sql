-- Wide monthly KPIs: one row per local calendar month, market and channel (incl.
-- all) with a numerator, denominator and value column per KPI, including the
-- month-only KPIs (cost per interaction/resolution, churn rate).

with

measures as (

    select * from {{ ref('int_kpi__period_measures') }}

),

markets as (

    select * from {{ ref('stg_reference__markets') }}

),

monthly as (

    select * from measures
    where period_grain = 'month'

),

final as (

    select
        monthly.period_start as month_start,
        monthly.market_code,
        monthly.channel,
        {{ dbt.datediff(month_start('markets.launched_on'), 'monthly.period_start', 'month') }}
            as months_since_launch,
        {{ kpi_wide_columns('month') }}
    from monthly
    left join markets
        on monthly.market_code = markets.market_code

)

select * from final
