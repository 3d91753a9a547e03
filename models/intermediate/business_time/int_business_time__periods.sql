-- The open periods of every market and channel as UTC ranges, cut at UTC midnight so each
-- period belongs to one UTC day (int_business_time__days holds the running total before each
-- day). Built from the weekly schedules in local time (stg_reference__business_hours): each
-- local day takes the channel's own schedule with the latest valid_from on or before it, else
-- the market's 'all' schedule; holidays (stg_reference__holidays) open nothing. Local opening
-- and closing are converted to UTC one by one, so DST days are 23 or 25 hours long and an
-- interval across a DST change has its true length. Intervals, not a minute spine: a year of a
-- weekday schedule is ~260 rows per market and channel. The calendar runs from the earliest
-- valid_from to the end of next year (var business_calendar_end, exclusive, overrides it).

{%- set channels = business_time_channels() %}

with

markets as (

    select * from {{ ref('stg_reference__markets') }}

),

hours as (

    select * from {{ ref('stg_reference__business_hours') }}

),

holidays as (

    select * from {{ ref('stg_reference__holidays') }}
    where is_closed

),

day_numbers as (

    {{ integer_series(40000) }}

),

channels as (

    {% for channel in channels -%}
        select '{{ channel }}' as channel
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

bounds as (

    select
        min(valid_from) as first_day,
        {% if checked_var('business_calendar_end', '') -%}
            cast('{{ checked_var('business_calendar_end') }}' as date) as last_day
        {%- else -%}
            cast({{ dbt.dateadd('year', 2, dbt.date_trunc('year', dbt.current_timestamp())) }} as date) as last_day
        {%- endif %}
    from hours

),

local_days as (

    select cast({{ dbt.dateadd('day', 'day_numbers.n', 'bounds.first_day') }} as date) as local_date
    from bounds
    cross join day_numbers
    where {{ dbt.dateadd('day', 'day_numbers.n', 'bounds.first_day') }} < bounds.last_day

),

schedules as (

    select distinct
        market_code,
        channel,
        valid_from
    from hours

),

candidate_schedules as (

    select
        markets.market_code,
        markets.timezone,
        channels.channel,
        local_days.local_date,
        schedules.channel as schedule_channel,
        schedules.valid_from,
        row_number() over (
            partition by markets.market_code, channels.channel, local_days.local_date
            order by
                case when schedules.channel = channels.channel then 0 else 1 end,
                schedules.valid_from desc
        ) as schedule_rank
    from markets
    cross join channels
    inner join schedules
        on
            markets.market_code = schedules.market_code
            and schedules.channel in (channels.channel, 'all')
    inner join local_days
        on schedules.valid_from <= local_days.local_date

),

day_schedules as (

    select * from candidate_schedules
    where schedule_rank = 1

),

local_intervals as (

    select
        day_schedules.market_code,
        day_schedules.timezone,
        day_schedules.channel,
        day_schedules.local_date,
        {%- set local_midnight = 'cast(day_schedules.local_date as ' ~ dbt.type_timestamp() ~ ')' %}
        {{ dbt.dateadd('second', 'hours.opens_at_seconds', local_midnight) }} as opens_at_local,
        {{ dbt.dateadd('second', 'hours.closes_at_seconds', local_midnight) }} as closes_at_local
    from day_schedules
    inner join hours
        on
            day_schedules.market_code = hours.market_code
            and day_schedules.schedule_channel = hours.channel
            and day_schedules.valid_from = hours.valid_from
            and {{ iso_weekday('day_schedules.local_date') }} = hours.iso_weekday
    left join holidays
        on
            day_schedules.market_code = holidays.market_code
            and day_schedules.local_date = holidays.holiday_date
    where holidays.market_code is null

),

utc_intervals as (

    select
        market_code,
        channel,
        local_date,
        {{ to_utc_timestamp('opens_at_local', 'timezone') }} as opens_at,
        {{ to_utc_timestamp('closes_at_local', 'timezone') }} as closes_at
    from local_intervals

),

day_offsets as (

    select 0 as day_offset
    union all
    select 1 as day_offset
    union all
    select 2 as day_offset

),

cut as (

    select
        utc_intervals.market_code,
        utc_intervals.channel,
        utc_intervals.local_date,
        utc_intervals.opens_at,
        utc_intervals.closes_at,
        cast(
            {{ dbt.dateadd('day', 'day_offsets.day_offset', 'cast(utc_intervals.opens_at as date)') }} as date
        ) as utc_day
    from utc_intervals
    cross join day_offsets

),

day_bounds as (

    select
        market_code,
        channel,
        local_date,
        opens_at,
        closes_at,
        utc_day,
        cast(utc_day as {{ dbt.type_timestamp() }}) as day_start,
        {{ dbt.dateadd('day', 1, 'cast(utc_day as ' ~ dbt.type_timestamp() ~ ')') }} as day_end
    from cut

),

periods as (

    select
        market_code,
        channel,
        local_date,
        utc_day,
        case when opens_at > day_start then opens_at else day_start end as period_start,
        case when closes_at < day_end then closes_at else day_end end as period_end
    from day_bounds

),

final as (

    select
        market_code,
        channel,
        utc_day,
        period_start,
        period_end,
        local_date,
        {{ dbt.datediff('period_start', 'period_end', 'second') }} as period_seconds  -- noqa: LT05
    from periods
    where period_end > period_start

)

select * from final
