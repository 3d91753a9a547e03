-- Every additive KPI's monthly numerator and denominator equal the sums of its daily ones
-- (docs/kpis.md: BI tools re-aggregate with sum(numerator) / sum(denominator)). Distinct
-- counts (repeat_contact_rate) are per period by design and are left out. A month with an
-- unknown day (null numerator: e.g. interactions per order on a day without orders) cannot be
-- rebuilt from its days, so only months whose days are all known are compared.
-- Returns the month x market x channel x KPI slices that disagree.

with

metrics as (

    select * from {{ ref('kpi_metrics') }}

),

daily as (

    select
        market_code,
        channel,
        kpi_code,
        {{ month_start('period_start') }} as month_start,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        count(*) as n_days,
        count(numerator) as n_known_days
    from metrics
    where
        period_grain = 'day'
        and kpi_code != 'repeat_contact_rate'
    group by 1, 2, 3, 4

),

monthly as (

    select
        market_code,
        channel,
        kpi_code,
        period_start as month_start,
        numerator,
        denominator
    from metrics
    where period_grain = 'month'

),

mismatches as (

    select
        daily.market_code,
        daily.channel,
        daily.kpi_code,
        daily.month_start,
        daily.numerator as daily_numerator,
        monthly.numerator as monthly_numerator,
        daily.denominator as daily_denominator,
        monthly.denominator as monthly_denominator
    from daily
    left join monthly
        on
            daily.market_code = monthly.market_code
            and daily.channel = monthly.channel
            and daily.kpi_code = monthly.kpi_code
            and daily.month_start = monthly.month_start
    where
        monthly.kpi_code is null
        or (
            daily.n_known_days = daily.n_days
            and (
                abs(daily.numerator - monthly.numerator) > 0.001 * (1 + abs(monthly.numerator))
                or abs(daily.denominator - monthly.denominator) > 0.001 * (1 + abs(monthly.denominator))
            )
        )

),

final as (

    select * from mismatches

)

select * from final
