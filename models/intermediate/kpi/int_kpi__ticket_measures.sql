-- Ticket numerators and denominators per period, market and channel (ticket
-- channel and all): the sums of the measure inputs of int_kpi__ticket_facts.
-- Attribution: created date for volume, first response, resolution rate, reopen
-- and escalation; solved date for resolution time.

with

ticket_facts as (

    select * from {{ ref('int_kpi__ticket_facts') }}

),

grains as (

    {{ kpi_grains_select() }}

),

channel_scopes as (

    {{ channel_scopes_select() }}

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
        ticket_facts.resolution_seconds_sum,
        ticket_facts.first_reply_business_seconds_sum,
        ticket_facts.tickets_first_replied_business,
        ticket_facts.resolution_business_seconds_sum,
        ticket_facts.tickets_solved_business,
        ticket_facts.sla_first_reply_met,
        ticket_facts.sla_first_reply_decided,
        ticket_facts.sla_resolution_met,
        ticket_facts.sla_resolution_decided
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
        sum(resolution_seconds_sum) as resolution_seconds_sum,
        sum(first_reply_business_seconds_sum) as first_reply_business_seconds_sum,
        sum(tickets_first_replied_business) as tickets_first_replied_business,
        sum(resolution_business_seconds_sum) as resolution_business_seconds_sum,
        sum(tickets_solved_business) as tickets_solved_business,
        sum(sla_first_reply_met) as sla_first_reply_met,
        sum(sla_first_reply_decided) as sla_first_reply_decided,
        sum(sla_resolution_met) as sla_resolution_met,
        sum(sla_resolution_decided) as sla_resolution_decided
    from expanded
    group by
        period_grain,
        period_start,
        market_code,
        channel

)

select * from final
