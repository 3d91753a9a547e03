-- Wide daily KPIs: one row per local date, market and channel (incl. all) with a
-- numerator, denominator and value column per KPI (macro kpi_catalog).

with

measures as (

    select * from {{ ref('int_kpi__period_measures') }}

),

daily as (

    select * from measures
    where period_grain = 'day'

),

final as (

    select
        period_start as date_day,
        market_code,
        channel,
        {{ kpi_wide_columns('day') }}
    from daily

)

select * from final
