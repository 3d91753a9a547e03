-- Call numerators and denominators per period (day, ISO week, month of the local
-- start date), market and channel (phone and all): the sums of the call-level
-- measure inputs of int_kpi__call_facts (offered calls only).

with

call_facts as (

    select * from {{ ref('int_kpi__call_facts') }}

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
        {{ period_start_for_grain('call_facts.activity_date') }} as period_start,
        call_facts.market_code,
        case
            when channel_scopes.channel_scope = 'all' then 'all'
            else call_facts.channel
        end as channel,
        call_facts.calls_offered,
        call_facts.calls_short_abandoned,
        call_facts.calls_incoming,
        call_facts.calls_answered,
        call_facts.calls_answered_within_sl,
        call_facts.calls_abandoned_counted,
        call_facts.calls_resolved,
        call_facts.calls_outcome_known,
        call_facts.calls_outcome_known_customer,
        call_facts.queue_seconds_incoming,
        call_facts.queue_seconds_answered,
        call_facts.handle_seconds_incoming,
        call_facts.agent_handle_seconds_answered,
        call_facts.talk_hold_seconds_answered,
        call_facts.calls_incoming_outside_hours,
        call_facts.calls_incoming_hours_known
    from call_facts
    cross join grains
    cross join channel_scopes

),

final as (

    select
        period_grain,
        period_start,
        market_code,
        channel,
        sum(calls_offered) as calls_offered,
        sum(calls_short_abandoned) as calls_short_abandoned,
        sum(calls_incoming) as calls_incoming,
        sum(calls_answered) as calls_answered,
        sum(calls_answered_within_sl) as calls_answered_within_sl,
        sum(calls_abandoned_counted) as calls_abandoned_counted,
        sum(calls_resolved) as calls_resolved,
        sum(calls_outcome_known) as calls_outcome_known,
        sum(calls_outcome_known_customer) as calls_outcome_known_customer,
        sum(queue_seconds_incoming) as queue_seconds_incoming,
        sum(queue_seconds_answered) as queue_seconds_answered,
        sum(handle_seconds_incoming) as handle_seconds_incoming,
        sum(agent_handle_seconds_answered) as agent_handle_seconds_answered,
        sum(talk_hold_seconds_answered) as talk_hold_seconds_answered,
        sum(calls_incoming_outside_hours) as calls_incoming_outside_hours,
        sum(calls_incoming_hours_known) as calls_incoming_hours_known
    from expanded
    group by
        period_grain,
        period_start,
        market_code,
        channel

)

select * from final
