-- The daily ticket backlog: per market, ticket channel, local day, status and age band, the
-- tickets open at the local end of the day (their state in the day's last instant) and how many
-- of them were then past an SLA due time (a clock of int_tickets__slas due and not achieved).
-- Each ticket's life is cut into pieces at every instant its state can change (creation, status
-- changes, the age-band boundaries 1, 3 and 7 days after creation, SLA due and achieved times);
-- an open piece adds 1 on the local day it starts and removes it on the local day it ends, and a
-- running sum over the days gives the end-of-day counts: no ticket x day expansion, no range join
-- to a calendar. Days run to the last full local day before the data's as-of time. A ticket
-- without status events keeps its current status from creation on.

{%- set open_statuses = ['new', 'open', 'pending', 'on_hold'] %}
{%- set day = 86400 %}

with

tickets as (

    select * from {{ ref('int_tickets__enriched') }}

),

events as (

    select * from {{ ref('stg_helpdesk__ticket_events') }}

),

slas as (

    select * from {{ ref('int_tickets__slas') }}

),

markets as (

    select * from {{ ref('stg_reference__markets') }}

),

day_numbers as (

    {{ integer_series(40000) }}

),

as_of as (

    select max(loaded_at) as as_of_at
    from tickets

),

status_changes as (

    select
        ticket_id,
        event_id,
        event_at as changed_at,
        status_to as status
    from events
    where
        event_type = 'status_change'
        and status_to is not null

),

tickets_with_changes as (

    select distinct ticket_id
    from status_changes

),

ticket_histories as (

    select
        tickets.ticket_id,
        tickets.market_code,
        tickets.channel,
        tickets.created_at,
        markets.timezone,
        case
            when tickets_with_changes.ticket_id is not null then 'new'
            else tickets.status
        end as initial_status
    from tickets
    inner join markets
        on tickets.market_code = markets.market_code
    left join tickets_with_changes
        on tickets.ticket_id = tickets_with_changes.ticket_id
    where tickets.created_at is not null

),

status_periods as (

    select
        ticket_id,
        changed_at as valid_from,
        lead(changed_at) over (partition by ticket_id order by changed_at, change_order, event_id) as valid_to,
        status
    from (
        select
            ticket_id,
            created_at as changed_at,
            0 as change_order,
            '' as event_id,
            initial_status as status
        from ticket_histories
        union all
        select
            ticket_id,
            changed_at,
            1 as change_order,
            event_id,
            status
        from status_changes
    ) as changes

),

age_bounds as (

    -- the age-band boundaries: 1, 3 and 7 days after creation
    select {{ day }} as age_seconds
    union all
    select {{ 3 * day }} as age_seconds
    union all
    select {{ 7 * day }} as age_seconds

),

change_points as (

    select distinct
        ticket_id,
        change_at
    from (
        select
            ticket_id,
            created_at as change_at
        from ticket_histories
        union all
        select
            ticket_id,
            changed_at as change_at
        from status_changes
        union all
        select
            ticket_histories.ticket_id,
            {{ dbt.dateadd('second', 'age_bounds.age_seconds', 'ticket_histories.created_at') }} as change_at
        from ticket_histories
        cross join age_bounds
        union all
        select
            ticket_id,
            due_at as change_at
        from slas
        where due_at is not null
        union all
        select
            ticket_id,
            achieved_at as change_at
        from slas
        where achieved_at is not null
    ) as points

),

pieces as (

    select
        change_points.ticket_id,
        change_points.change_at as piece_start,
        lead(change_points.change_at) over (
            partition by change_points.ticket_id
            order by change_points.change_at
        ) as piece_end,
        {{ dbt.datediff('ticket_histories.created_at', 'change_points.change_at', 'second') }}
            as age_seconds
    from change_points
    inner join ticket_histories
        on change_points.ticket_id = ticket_histories.ticket_id
    where change_points.change_at >= ticket_histories.created_at

),

piece_due as (

    -- past due just after the piece starts: a clock due by then and not achieved by then
    select
        pieces.ticket_id,
        pieces.piece_start,
        max(case when slas.ticket_id is not null then 1 else 0 end) as is_past_due
    from pieces
    left join slas
        on
            pieces.ticket_id = slas.ticket_id
            and pieces.piece_start >= slas.due_at
            and (pieces.piece_start < slas.achieved_at or slas.achieved_at is null)
    group by
        pieces.ticket_id,
        pieces.piece_start

),

piece_states as (

    select
        ticket_histories.market_code,
        ticket_histories.channel,
        status_periods.status,
        case
            when pieces.age_seconds < {{ day }} then '0-1'
            when pieces.age_seconds < {{ 3 * day }} then '1-3'
            when pieces.age_seconds < {{ 7 * day }} then '3-7'
            else '7+'
        end as age_band,
        piece_due.is_past_due,
        cast({{ to_local_timestamp('pieces.piece_start', 'ticket_histories.timezone') }} as date) as start_day,
        cast({{ to_local_timestamp('pieces.piece_end', 'ticket_histories.timezone') }} as date) as end_day
    from pieces
    inner join ticket_histories
        on pieces.ticket_id = ticket_histories.ticket_id
    inner join status_periods
        on
            pieces.ticket_id = status_periods.ticket_id
            and pieces.piece_start >= status_periods.valid_from
            and (status_periods.valid_to is null or pieces.piece_start < status_periods.valid_to)
    inner join piece_due
        on
            pieces.ticket_id = piece_due.ticket_id
            and pieces.piece_start = piece_due.piece_start
    where status_periods.status in {{ sql_in_list(open_statuses) }}

),

deltas as (

    -- open in the last instant of every local day from start_day up to the day before end_day
    select
        market_code,
        channel,
        status,
        age_band,
        is_past_due,
        start_day as local_date,
        1 as ticket_change
    from piece_states
    union all
    select
        market_code,
        channel,
        status,
        age_band,
        is_past_due,
        end_day as local_date,
        -1 as ticket_change
    from piece_states
    where end_day is not null

),

series_keys as (

    select distinct
        market_code,
        channel,
        status,
        age_band,
        is_past_due
    from deltas

),

market_days as (

    select
        markets.market_code,
        min(deltas.local_date) as first_day,
        -- the last local day that ended before the as-of time
        cast({{ dbt.dateadd(
            'day', -1, 'cast(' ~ to_local_timestamp('max(as_of.as_of_at)', 'max(markets.timezone)') ~ ' as date)'
        ) }} as date) as last_day
    from deltas
    inner join markets
        on deltas.market_code = markets.market_code
    cross join as_of
    group by markets.market_code

),

market_dates as (

    select
        market_days.market_code,
        cast({{ dbt.dateadd('day', 'day_numbers.n', 'market_days.first_day') }} as date) as local_date
    from market_days
    cross join day_numbers
    where {{ dbt.dateadd('day', 'day_numbers.n', 'market_days.first_day') }} <= market_days.last_day

),

grid as (

    select
        series_keys.market_code,
        series_keys.channel,
        series_keys.status,
        series_keys.age_band,
        series_keys.is_past_due,
        market_dates.local_date,
        0 as ticket_change
    from series_keys
    inner join market_dates
        on series_keys.market_code = market_dates.market_code

),

daily_changes as (

    -- a union and one aggregation rather than a join of the grid to the deltas
    select
        market_code,
        channel,
        status,
        age_band,
        is_past_due,
        local_date,
        sum(ticket_change) as ticket_change
    from (
        select * from grid
        union all
        select * from deltas
    ) as changes
    group by
        market_code,
        channel,
        status,
        age_band,
        is_past_due,
        local_date

),

running as (

    select
        market_code,
        channel,
        status,
        age_band,
        is_past_due,
        local_date,
        sum(ticket_change) over (
            partition by market_code, channel, status, age_band, is_past_due
            order by local_date
            rows between unbounded preceding and current row
        ) as tickets
    from daily_changes

),

final as (

    select
        running.market_code,
        running.channel,
        running.local_date,
        running.status,
        running.age_band,
        cast(sum(running.tickets) as {{ dbt.type_bigint() }}) as open_tickets,
        cast(sum(case when running.is_past_due = 1 then running.tickets else 0 end) as {{ dbt.type_bigint() }})
            as past_due_tickets
    from running
    inner join market_days
        on running.market_code = market_days.market_code
    where running.local_date <= market_days.last_day
    group by
        running.market_code,
        running.channel,
        running.local_date,
        running.status,
        running.age_band
    having sum(running.tickets) > 0

)

select * from final
