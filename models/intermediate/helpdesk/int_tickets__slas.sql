-- One row per ticket and SLA clock: first_reply and resolution once per ticket, next_reply once
-- per customer reply that follows a public agent reply (the customer waits again). Each clock gets
-- the ticket's policy for its metric (most specific market/channel/priority match of
-- stg_reference__sla_policies, then the latest valid_from on or before the local creation day),
-- the priority at creation (of the earliest accepted export of the ticket: raising it later does
-- not change the policy), and its due time: calendar targets add minutes, business-hours targets
-- move the business clock (business_positions / business_instants_at), so nights, weekends,
-- holidays and DST changes are skipped exactly. A clock not achieved by the data's as-of time
-- (newest helpdesk _loaded_at) is breached from its due time on, else pending.

with

tickets as (

    select * from {{ ref('int_tickets__enriched') }}

),

ticket_versions as (

    select * from {{ ref('base_helpdesk__tickets') }}

),

events as (

    select * from {{ ref('stg_helpdesk__ticket_events') }}

),

policies as (

    select * from {{ ref('stg_reference__sla_policies') }}

),

as_of as (

    select max(loaded_at) as as_of_at
    from tickets

),

first_versions as (

    select
        ticket_id,
        priority,
        row_number() over (
            partition by ticket_id
            order by loaded_at, updated_at
        ) as version_number
    from ticket_versions
    where
        quarantine_reason is null
        and ticket_id is not null

),

creation_priorities as (

    select
        ticket_id,
        priority as priority_at_creation
    from first_versions
    where version_number = 1

),

messages as (

    -- the public conversation: customer replies and public agent replies, in order
    select
        ticket_id,
        event_id,
        event_at,
        event_type,
        lag(event_type) over (
            partition by ticket_id
            order by event_at, event_id
        ) as previous_event_type,
        sum(case when event_type = 'agent_reply' then 1 else 0 end) over (
            partition by ticket_id
            order by event_at, event_id
            rows between unbounded preceding and current row
        ) as agent_replies_so_far
    from events
    where
        event_type = 'customer_reply'
        or (event_type = 'agent_reply' and is_public)

),

next_reply_starts as (

    select
        ticket_id,
        event_at as started_at,
        agent_replies_so_far,
        row_number() over (
            partition by ticket_id
            order by event_at, event_id
        ) as clock_number
    from messages
    where
        event_type = 'customer_reply'
        and previous_event_type = 'agent_reply'

),

next_reply_clocks as (

    select
        next_reply_starts.ticket_id,
        'next_reply' as sla_metric,
        next_reply_starts.clock_number,
        next_reply_starts.started_at,
        answers.event_at as achieved_at
    from next_reply_starts
    left join messages as answers
        on
            next_reply_starts.ticket_id = answers.ticket_id
            and answers.event_type = 'agent_reply'
            and answers.agent_replies_so_far = next_reply_starts.agent_replies_so_far + 1

),

clocks as (

    select
        ticket_id,
        'first_reply' as sla_metric,
        1 as clock_number,
        created_at as started_at,
        first_public_reply_at as achieved_at
    from tickets
    union all
    select
        ticket_id,
        'resolution' as sla_metric,
        1 as clock_number,
        created_at as started_at,
        -- a reopened ticket that is open again is waiting again
        case when resolution_seconds is not null then solved_at end as achieved_at
    from tickets
    union all
    select * from next_reply_clocks

),

clock_tickets as (

    select
        {{ dbt.concat([
            'clocks.ticket_id', "'|'", 'clocks.sla_metric', "'|'", as_text('clocks.clock_number')
        ]) }} as sla_key,
        clocks.ticket_id,
        clocks.sla_metric,
        clocks.clock_number,
        clocks.started_at,
        clocks.achieved_at,
        tickets.market_code,
        tickets.channel,
        coalesce(creation_priorities.priority_at_creation, tickets.priority) as priority_at_creation,
        tickets.created_date_local
    from clocks
    inner join tickets
        on clocks.ticket_id = tickets.ticket_id
    left join creation_priorities
        on clocks.ticket_id = creation_priorities.ticket_id
    where clocks.started_at is not null

),

policy_matches as (

    select
        clock_tickets.*,
        policies.policy_key,
        policies.target_minutes,
        policies.business_hours as is_business_hours,
        row_number() over (
            partition by clock_tickets.sla_key
            order by policies.specificity desc, policies.valid_from desc
        ) as policy_rank
    from clock_tickets
    inner join policies
        on
            clock_tickets.sla_metric = policies.metric
            and (policies.market_code = '*' or clock_tickets.market_code = policies.market_code)
            and (policies.channel = 'all' or clock_tickets.channel = policies.channel)
            and (policies.priority = 'all' or clock_tickets.priority_at_creation = policies.priority)
            and clock_tickets.created_date_local >= policies.valid_from

),

governed as (

    select
        policy_matches.*,
        as_of.as_of_at,
        coalesce(policy_matches.achieved_at, as_of.as_of_at) as clock_end_at
    from policy_matches
    cross join as_of
    where policy_matches.policy_rank = 1

),

business_instants as (

    select
        sla_key,
        market_code,
        channel,
        'started' as instant_type,
        started_at as instant_at
    from governed
    where is_business_hours
    union all
    select
        sla_key,
        market_code,
        channel,
        'ended' as instant_type,
        -- a clock still running is measured up to the as-of time, never before its start
        case when clock_end_at > started_at then clock_end_at else started_at end as instant_at
    from governed
    where is_business_hours

),

business_positions as (

    {{ business_positions('business_instants', ['sla_key', 'instant_type']) }}

),

business_clocks as (

    select
        sla_key,
        max(case when instant_type = 'started' then business_position end) as started_position,
        max(case when instant_type = 'ended' then business_position end) as ended_position
    from business_positions
    group by sla_key

),

due_targets as (

    select
        governed.sla_key,
        governed.market_code,
        governed.channel,
        business_clocks.started_position + governed.target_minutes * 60 as target_position
    from governed
    inner join business_clocks
        on governed.sla_key = business_clocks.sla_key

),

business_due as (

    {{ business_instants_at('due_targets', 'sla_key') }}

),

measured as (

    select
        governed.*,
        governed.target_minutes * 60 as target_seconds,
        case
            when governed.is_business_hours then business_due.instant_at
            else {{ dbt.dateadd('minute', 'governed.target_minutes', 'governed.started_at') }}
        end as due_at,
        case
            when governed.is_business_hours
                then business_clocks.ended_position - business_clocks.started_position
            when governed.clock_end_at > governed.started_at
                then {{ dbt.datediff('governed.started_at', 'governed.clock_end_at', 'second') }}
            else 0
        end as elapsed_seconds
    from governed
    left join business_clocks
        on governed.sla_key = business_clocks.sla_key
    left join business_due
        on governed.sla_key = business_due.sla_key

),

final as (

    select
        sla_key,
        ticket_id,
        sla_metric,
        clock_number,
        market_code,
        channel,
        priority_at_creation,
        policy_key,
        target_minutes,
        is_business_hours,
        started_at,
        due_at,
        achieved_at,
        elapsed_seconds,
        case
            when elapsed_seconds is null then null
            else elapsed_seconds > target_seconds
        end as is_breached,
        case
            when elapsed_seconds is null then null
            when elapsed_seconds > target_seconds then 'breached'
            when achieved_at is not null then 'achieved'
            else 'pending'
        end as sla_status,
        case when elapsed_seconds > target_seconds then due_at end as breached_at,
        as_of_at
    from measured

)

select * from final
