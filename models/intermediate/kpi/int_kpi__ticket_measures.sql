-- Ticket numerators and denominators per period, market and channel (ticket
-- channel and all). Attribution: created date for volume, first response,
-- resolution rate, reopen and escalation; solved date for resolution time.

with

tickets as (

    select * from {{ ref('int_tickets__enriched') }}

),

grains as (

    {{ kpi_grains_select() }}

),

channel_scopes as (

    {{ channel_scopes_select() }}

),

created_facts as (

    select
        market_code,
        channel,
        created_date_local as activity_date,
        1 as tickets_created,
        case when is_first_reply_within_threshold then 1 else 0 end
            as tickets_first_reply_within_threshold,
        case when first_response_seconds is not null then 1 else 0 end as tickets_first_replied,
        coalesce(first_response_seconds, 0) as first_response_seconds_sum,
        case when is_handled then 1 else 0 end as tickets_handled,
        case when is_handled and customer_id is not null then 1 else 0 end as tickets_handled_known_customer,
        case when is_resolved then 1 else 0 end as tickets_resolved,
        case when is_ever_solved then 1 else 0 end as tickets_ever_solved,
        case when is_reopened then 1 else 0 end as tickets_reopened,
        case when is_escalated then 1 else 0 end as tickets_escalated,
        0 as tickets_solved,
        0 as resolution_seconds_sum
    from tickets

),

solved_facts as (

    select
        market_code,
        channel,
        solved_date_local as activity_date,
        0 as tickets_created,
        0 as tickets_first_reply_within_threshold,
        0 as tickets_first_replied,
        0 as first_response_seconds_sum,
        0 as tickets_handled,
        0 as tickets_handled_known_customer,
        0 as tickets_resolved,
        0 as tickets_ever_solved,
        0 as tickets_reopened,
        0 as tickets_escalated,
        1 as tickets_solved,
        resolution_seconds as resolution_seconds_sum
    from tickets
    -- only tickets whose current status is solved or closed have a resolution time
    where resolution_seconds is not null

),

ticket_facts as (

    select * from created_facts
    union all
    select * from solved_facts

),

expanded as (

    select
        grains.period_grain,
        {{ period_start_for_grain('ticket_facts.activity_date') }} as period_start,
        ticket_facts.market_code,
        case
            when channel_scopes.channel_scope = 'all' then 'all'
            else ticket_facts.channel
        end as channel,
        ticket_facts.tickets_created,
        ticket_facts.tickets_first_reply_within_threshold,
        ticket_facts.tickets_first_replied,
        ticket_facts.first_response_seconds_sum,
        ticket_facts.tickets_handled,
        ticket_facts.tickets_handled_known_customer,
        ticket_facts.tickets_resolved,
        ticket_facts.tickets_ever_solved,
        ticket_facts.tickets_reopened,
        ticket_facts.tickets_escalated,
        ticket_facts.tickets_solved,
        ticket_facts.resolution_seconds_sum
    from ticket_facts
    cross join grains
    cross join channel_scopes

),

final as (

    select
        period_grain,
        period_start,
        market_code,
        channel,
        sum(tickets_created) as tickets_created,
        sum(tickets_first_reply_within_threshold) as tickets_first_reply_within_threshold,
        sum(tickets_first_replied) as tickets_first_replied,
        sum(first_response_seconds_sum) as first_response_seconds_sum,
        sum(tickets_handled) as tickets_handled,
        sum(tickets_handled_known_customer) as tickets_handled_known_customer,
        sum(tickets_resolved) as tickets_resolved,
        sum(tickets_ever_solved) as tickets_ever_solved,
        sum(tickets_reopened) as tickets_reopened,
        sum(tickets_escalated) as tickets_escalated,
        sum(tickets_solved) as tickets_solved,
        sum(resolution_seconds_sum) as resolution_seconds_sum
    from expanded
    group by
        period_grain,
        period_start,
        market_code,
        channel

)

select * from final
