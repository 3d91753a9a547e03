-- One row per ticket with the ticket facts of docs/kpis.md derived from its events:
-- first public agent reply, solved/reopened/escalated flags, internal waiting time,
-- handled/resolved flags, resolution time and the first-reply threshold check.
-- Incremental: re-computes every ticket with a ticket or event version loaded since the
-- watermark (max loaded_at) minus lookback_days, from all of its events; tickets that left
-- staging are deleted (post-hook).

{{ config(
    materialized='incremental',
    unique_key='ticket_id',
    incremental_strategy=incremental_strategy(),
    post_hook="{{ incremental_delete_missing('ticket_id', ref('stg_helpdesk__tickets')) }}"
) }}

{%- set thresholds = checked_var('ticket_first_reply_seconds') %}
{%- set cutoff = incremental_cutoff() %}
{%- set changed_tickets = changed_ticket_ids(
    cutoff, ref('base_helpdesk__tickets'), ref('base_helpdesk__ticket_events'), ref('base_shop__customers')
) %}

with

tickets as (

    select * from {{ ref('stg_helpdesk__tickets') }}
    {%- if cutoff is not none %}
        where ticket_id in ({{ changed_tickets }})
    {%- endif %}

),

events as (

    select * from {{ ref('stg_helpdesk__ticket_events') }}
    {%- if cutoff is not none %}
        where ticket_id in ({{ changed_tickets }})
    {%- endif %}

),

markets as (

    select * from {{ ref('stg_reference__markets') }}

),

public_agent_replies as (

    select
        ticket_id,
        event_at,
        agent_id,
        row_number() over (
            partition by ticket_id
            order by event_at, event_id
        ) as reply_number
    from events
    where
        event_type = 'agent_reply'
        and is_public

),

first_public_reply as (

    select
        ticket_id,
        event_at as first_public_reply_at,
        agent_id as first_reply_agent_id
    from public_agent_replies
    where reply_number = 1

),

public_reply_counts as (

    select
        ticket_id,
        count(*) as public_agent_reply_count
    from public_agent_replies
    group by ticket_id

),

event_flags as (

    select
        ticket_id,
        max(
            case
                when event_type = 'status_change' and status_to in ('solved', 'closed') then 1
                else 0
            end
        ) as has_solved_event,
        sum(
            case
                when
                    event_type = 'status_change'
                    and status_from in ('solved', 'closed')
                    and status_to in ('new', 'open', 'pending', 'on_hold')
                    then 1
                else 0
            end
        ) as reopen_count,
        sum(case when event_type = 'escalation' then 1 else 0 end) as escalation_count,
        max(loaded_at) as events_loaded_at
    from events
    group by ticket_id

),

escalations as (

    select
        ticket_id,
        event_at,
        row_number() over (
            partition by ticket_id
            order by event_at, event_id
        ) as escalation_number
    from events
    where event_type = 'escalation'

),

escalation_resolutions as (

    select
        ticket_id,
        event_at,
        row_number() over (
            partition by ticket_id
            order by event_at, event_id
        ) as escalation_number
    from events
    where event_type = 'escalation_resolved'

),

escalation_waits as (

    select
        escalations.ticket_id,
        count(*) as resolved_escalation_count,
        sum(
            {{ dbt.datediff('escalations.event_at', 'escalation_resolutions.event_at', 'second') }}
        ) as internal_wait_seconds
    from escalations
    inner join escalation_resolutions
        on
            escalations.ticket_id = escalation_resolutions.ticket_id
            and escalations.escalation_number = escalation_resolutions.escalation_number
            and escalations.event_at <= escalation_resolutions.event_at
    group by escalations.ticket_id

),

joined as (

    select
        tickets.ticket_id,
        tickets.market_code,
        tickets.channel,
        tickets.customer_id,
        tickets.order_id,
        tickets.category,
        tickets.priority,
        tickets.status,
        tickets.assignee_agent_id,
        first_public_reply.first_reply_agent_id,
        tickets.created_at,
        tickets.solved_at,
        first_public_reply.first_public_reply_at,
        markets.timezone,
        coalesce(public_reply_counts.public_agent_reply_count, 0) as public_agent_reply_count,
        coalesce(event_flags.has_solved_event, 0) as has_solved_event,
        coalesce(event_flags.reopen_count, 0) as reopen_count,
        coalesce(event_flags.escalation_count, 0) as escalation_count,
        coalesce(escalation_waits.resolved_escalation_count, 0) as resolved_escalation_count,
        coalesce(escalation_waits.internal_wait_seconds, 0) as internal_wait_seconds,
        case tickets.channel
            {%- for channel, seconds in thresholds.items() %}
                when '{{ channel }}' then {{ seconds }}
            {%- endfor %}
        end as first_reply_threshold_seconds,
        case
            when event_flags.events_loaded_at > tickets.loaded_at then event_flags.events_loaded_at
            else tickets.loaded_at
        end as loaded_at
    from tickets
    left join first_public_reply
        on tickets.ticket_id = first_public_reply.ticket_id
    left join public_reply_counts
        on tickets.ticket_id = public_reply_counts.ticket_id
    left join event_flags
        on tickets.ticket_id = event_flags.ticket_id
    left join escalation_waits
        on tickets.ticket_id = escalation_waits.ticket_id
    left join markets
        on tickets.market_code = markets.market_code

),

durations as (

    select
        *,
        case
            when first_public_reply_at is not null
                then {{ dbt.datediff('created_at', 'first_public_reply_at', 'second') }}
        end as first_response_seconds,
        -- a reopened ticket that is open again keeps its old solved_at but has no resolution time
        case
            when solved_at is not null and status in ('solved', 'closed')
                then {{ dbt.datediff('created_at', 'solved_at', 'second') }}
        end as resolution_seconds,
        {{ to_local_timestamp('created_at', 'timezone') }} as created_at_local,
        {{ to_local_timestamp('solved_at', 'timezone') }} as solved_at_local
    from joined

),

business_instants as (

    select
        ticket_id,
        market_code,
        channel,
        'created' as instant_type,
        created_at as instant_at
    from durations
    union all
    select
        ticket_id,
        market_code,
        channel,
        'first_reply' as instant_type,
        first_public_reply_at as instant_at
    from durations
    where first_response_seconds is not null
    union all
    select
        ticket_id,
        market_code,
        channel,
        'solved' as instant_type,
        solved_at as instant_at
    from durations
    where resolution_seconds is not null

),

business_positions as (

    {{ business_positions('business_instants', ['ticket_id', 'instant_type']) }}

),

business_durations as (

    select
        ticket_id,
        max(case when instant_type = 'first_reply' then business_position end)
        - max(case when instant_type = 'created' then business_position end) as first_reply_business_seconds,
        max(case when instant_type = 'solved' then business_position end)
        - max(case when instant_type = 'created' then business_position end) as resolution_business_seconds
    from business_positions
    group by ticket_id

),

final as (

    select
        durations.ticket_id,
        market_code,
        channel,
        customer_id,
        order_id,
        category,
        priority,
        status,
        assignee_agent_id,
        first_reply_agent_id,
        coalesce(assignee_agent_id, first_reply_agent_id) as agent_id,
        created_at,
        created_at_local,
        cast(created_at_local as date) as created_date_local,
        first_public_reply_at,
        first_response_seconds,
        business_durations.first_reply_business_seconds,
        solved_at,
        solved_at_local,
        cast(solved_at_local as date) as solved_date_local,
        resolution_seconds,
        business_durations.resolution_business_seconds,
        public_agent_reply_count,
        coalesce(public_agent_reply_count > 0, false) as is_handled,
        coalesce(status in ('solved', 'closed'), false) as is_resolved,
        coalesce(has_solved_event = 1 or status in ('solved', 'closed'), false) as is_ever_solved,
        case
            when has_solved_event = 1 or status in ('solved', 'closed') then reopen_count
            else 0
        end as reopen_count,
        coalesce((has_solved_event = 1 or status in ('solved', 'closed')) and reopen_count > 0, false)
            as is_reopened,
        escalation_count,
        coalesce(escalation_count > 0, false) as is_escalated,
        escalation_count - resolved_escalation_count as open_escalation_count,
        internal_wait_seconds,
        first_reply_threshold_seconds,
        coalesce(
            first_response_seconds is not null
            and first_response_seconds <= first_reply_threshold_seconds, false
        ) as is_first_reply_within_threshold,
        durations.loaded_at
    from durations
    left join business_durations
        on durations.ticket_id = business_durations.ticket_id

)

select * from final
