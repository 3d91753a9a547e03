-- One row per market, channel and UTC day of the business calendar with the open seconds of
-- the day and the running total of open seconds before it: the business seconds up to an
-- instant are seconds_before_day of its UTC day plus the open time of that day's periods
-- before it (macro business_positions), so a span of any length is two look-ups.

with

periods as (

    select * from {{ ref('int_business_time__periods') }}

),

day_numbers as (

    {{ integer_series(40000) }}

),

market_channels as (

    -- only markets with a schedule: a market without one has unknown (null) business time, not 0
    select distinct
        market_code,
        channel
    from periods

),

bounds as (

    select
        min(utc_day) as first_day,
        max(utc_day) as last_day
    from periods

),

utc_days as (

    select cast({{ dbt.dateadd('day', 'day_numbers.n', 'bounds.first_day') }} as date) as utc_day
    from bounds
    cross join day_numbers
    where {{ dbt.dateadd('day', 'day_numbers.n', 'bounds.first_day') }} <= bounds.last_day

),

day_totals as (

    select
        market_code,
        channel,
        utc_day,
        sum(period_seconds) as open_seconds
    from periods
    group by
        market_code,
        channel,
        utc_day

),

grid as (

    -- every day of every market and channel: the open days' totals plus a zero for each day,
    -- summed (a union and one aggregation, no join: planners without statistics on freshly built
    -- tables pick nested loops for a day-by-day left join)
    select
        market_code,
        channel,
        utc_day,
        sum(open_seconds) as open_seconds
    from (
        select
            market_code,
            channel,
            utc_day,
            open_seconds
        from day_totals
        union all
        select
            market_channels.market_code,
            market_channels.channel,
            utc_days.utc_day,
            0 as open_seconds
        from market_channels
        cross join utc_days
    ) as day_rows
    group by
        market_code,
        channel,
        utc_day

),

final as (

    select
        market_code,
        channel,
        utc_day,
        open_seconds,
        coalesce(sum(open_seconds) over (
            partition by market_code, channel
            order by utc_day
            rows between unbounded preceding and 1 preceding
        ), 0) as seconds_before_day
    from grid

)

select * from final
