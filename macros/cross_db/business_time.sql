{#- clock_seconds(hhmm): seconds after midnight of a local 'HH:MM' text (24:00 is 86400). -#}
{% macro clock_seconds(hhmm) -%}
    (cast(substring({{ hhmm }}, 1, 2) as {{ dbt.type_int() }}) * 3600
    + cast(substring({{ hhmm }}, 4, 2) as {{ dbt.type_int() }}) * 60)
{%- endmacro %}

{#-
    to_utc_timestamp(ts_local, tz): the UTC wall time (timestamp without time zone) of a local
    wall-clock timestamp of the IANA time zone tz; the inverse of to_local_timestamp, DST-aware.
-#}
{% macro to_utc_timestamp(ts_local, tz) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'cskpi')(ts_local, tz)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(ts_local, tz) -%}
    (({{ ts_local }} at time zone {{ tz }}) at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__to_utc_timestamp(ts_local, tz) -%}
    timezone('UTC', timezone({{ tz }}, {{ ts_local }}))
{%- endmacro %}

{% macro spark__to_utc_timestamp(ts_local, tz) -%}
    to_utc_timestamp({{ ts_local }}, {{ tz }})
{%- endmacro %}

{#- The channels a business-hours schedule can name: phone (calls) and the ticket channels of the contract. -#}
{% macro business_time_channels() -%}
    {%- set channels = ['phone'] -%}
    {%- for column in raw_contract()['tables']['helpdesk/tickets'].columns if column.name == 'channel' -%}
        {%- do channels.extend(column.accepted_values) -%}
    {%- endfor -%}
    {{ return(channels) }}
{%- endmacro %}

{#-
    business_positions(instants, key_columns): for each row of the relation or CTE `instants`
    (key_columns, market_code, channel, instant_at in UTC), the business seconds of its market
    and channel from the start of the calendar up to instant_at (business_position) and whether
    the market is open then (is_open). Business seconds between two instants are the difference
    of their positions: two equality look-ups, one into int_business_time__days (seconds before
    the UTC day) and one into the day's few open periods (int_business_time__periods), so spans of
    any length cost the same. Null position: the instant is null or outside the calendar.
-#}
{% macro business_positions(instants, key_columns) -%}
    select
        {%- for key in key_columns %}
        instants.{{ key }},
        {%- endfor %}
        instants.instant_at,
        max(business_days.seconds_before_day) + coalesce(sum(
            case
                when instants.instant_at > business_periods.period_start
                    then {{ dbt.datediff(
                        'business_periods.period_start',
                        'case when instants.instant_at < business_periods.period_end then instants.instant_at '
                        ~ 'else business_periods.period_end end',
                        'second'
                    ) }}
                else 0
            end
        ), 0) as business_position,
        coalesce(max(
            case
                when instants.instant_at >= business_periods.period_start
                    and instants.instant_at < business_periods.period_end then 1
                else 0
            end
        ), 0) = 1 as is_open
    from {{ instants }} as instants
    left join {{ ref('int_business_time__days') }} as business_days
        on
            instants.market_code = business_days.market_code
            and instants.channel = business_days.channel
            and cast(instants.instant_at as date) = business_days.utc_day
    left join {{ ref('int_business_time__periods') }} as business_periods
        on
            business_days.market_code = business_periods.market_code
            and business_days.channel = business_periods.channel
            and business_days.utc_day = business_periods.utc_day
    group by
        {%- for key in key_columns %}
        instants.{{ key }},
        {%- endfor %}
        instants.instant_at
{%- endmacro %}

{#- ISO day of the week of a date: 1 Monday ... 7 Sunday (portable: days since the ISO week start). -#}
{% macro iso_weekday(expr) -%}
    ({{ dbt.datediff(iso_week_start(expr), expr, 'day') }} + 1)
{%- endmacro %}

{#-
    business_instants_at(targets, key_column): the inverse of business_positions. For each row of
    `targets` (key_column, market_code, channel, target_position: business seconds from the start
    of the calendar), the earliest UTC instant at which the market's business clock reaches
    target_position (instant_at): the end of the open period where it is reached, or inside one.
    The open day is found by a running maximum over the days and targets in position order (no
    range join, so any distance costs the same), the instant inside the day by its periods' running
    total. Null: no schedule, or the position lies beyond the business calendar.
-#}
{% macro business_instants_at(targets, key_column) -%}
    with

    open_days as (

        select
            market_code,
            channel,
            utc_day,
            seconds_before_day
        from {{ ref('int_business_time__days') }}
        where open_seconds > 0

    ),

    marks as (

        -- at equal positions a target sorts before the day that starts there: it is reached at the
        -- close of the previous open day
        select
            market_code,
            channel,
            seconds_before_day as mark_position,
            1 as mark_order,
            cast(null as {{ dbt.type_string() }}) as target_key
        from open_days
        union all
        select
            market_code,
            channel,
            target_position as mark_position,
            0 as mark_order,
            {{ key_column }} as target_key
        from {{ targets }}
        where target_position is not null

    ),

    located as (

        select
            target_key,
            market_code,
            channel,
            mark_position as target_position,
            max(case when mark_order = 1 then mark_position end) over (
                partition by market_code, channel
                order by mark_position, mark_order
                rows between unbounded preceding and current row
            ) as day_position
        from marks

    ),

    target_days as (

        select
            located.target_key,
            located.market_code,
            located.channel,
            open_days.utc_day,
            located.target_position - located.day_position as day_offset
        from located
        inner join open_days
            on
                located.market_code = open_days.market_code
                and located.channel = open_days.channel
                and located.day_position = open_days.seconds_before_day
        where located.target_key is not null

    ),

    day_periods as (

        select
            market_code,
            channel,
            utc_day,
            period_start,
            period_seconds,
            coalesce(sum(period_seconds) over (
                partition by market_code, channel, utc_day
                order by period_start
                rows between unbounded preceding and 1 preceding
            ), 0) as seconds_before_period
        from {{ ref('int_business_time__periods') }}

    ),

    reached as (

        select
            target_days.target_key,
            min({{ dbt.dateadd(
                'second',
                'target_days.day_offset - day_periods.seconds_before_period',
                'day_periods.period_start'
            ) }}) as instant_at
        from target_days
        inner join day_periods
            on
                target_days.market_code = day_periods.market_code
                and target_days.channel = day_periods.channel
                and target_days.utc_day = day_periods.utc_day
                and target_days.day_offset > day_periods.seconds_before_period
                and target_days.day_offset <= day_periods.seconds_before_period + day_periods.period_seconds
        group by target_days.target_key

    )

    select
        {{ targets }}.{{ key_column }},
        reached.instant_at
    from {{ targets }}
    left join reached
        on {{ targets }}.{{ key_column }} = reached.target_key
{%- endmacro %}
