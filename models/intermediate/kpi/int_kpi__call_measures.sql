-- Call numerators and denominators per period (day, ISO week, month of the local
-- start date), market and channel (phone and all). Only offered calls (inbound,
-- queued) carry measures; every count is computed from call-level rows per period.

with

calls as (

    select * from {{ ref('int_calls__enriched') }}

),

grains as (

    {{ kpi_grains_select() }}

),

channel_scopes as (

    {{ channel_scopes_select() }}

),

offered_calls as (

    select * from calls
    where is_offered

),

expanded as (

    select
        grains.period_grain,
        {{ period_start_for_grain('offered_calls.started_date_local') }} as period_start,
        offered_calls.market_code,
        case
            when channel_scopes.channel_scope = 'all' then 'all'
            else offered_calls.channel
        end as channel,
        offered_calls.is_offered,
        offered_calls.is_short_abandon,
        offered_calls.is_incoming,
        offered_calls.is_answered,
        offered_calls.is_answered_within_threshold,
        offered_calls.is_abandoned_counted,
        offered_calls.is_resolved,
        -- a disposition is what makes the resolution outcome of an answered call known
        coalesce(offered_calls.is_answered and offered_calls.disposition is not null, false)
            as is_outcome_known,
        offered_calls.customer_id is not null as is_known_customer,
        coalesce(offered_calls.queue_seconds, 0) as queue_seconds,
        offered_calls.handle_seconds,
        offered_calls.agent_handle_seconds,
        offered_calls.talk_hold_seconds
    from offered_calls
    cross join grains
    cross join channel_scopes

),

final as (

    select
        period_grain,
        period_start,
        market_code,
        channel,
        sum(case when is_offered then 1 else 0 end) as calls_offered,
        sum(case when is_short_abandon then 1 else 0 end) as calls_short_abandoned,
        sum(case when is_incoming then 1 else 0 end) as calls_incoming,
        sum(case when is_answered then 1 else 0 end) as calls_answered,
        sum(case when is_answered_within_threshold then 1 else 0 end) as calls_answered_within_sl,
        sum(case when is_abandoned_counted then 1 else 0 end) as calls_abandoned_counted,
        sum(case when is_resolved then 1 else 0 end) as calls_resolved,
        sum(case when is_incoming and is_outcome_known then 1 else 0 end) as calls_outcome_known,
        sum(case when is_incoming and is_outcome_known and is_known_customer then 1 else 0 end)
            as calls_outcome_known_customer,
        sum(case when is_incoming then queue_seconds else 0 end) as queue_seconds_incoming,
        sum(case when is_answered then queue_seconds else 0 end) as queue_seconds_answered,
        sum(case when is_incoming then handle_seconds else 0 end) as handle_seconds_incoming,
        sum(case when is_answered then agent_handle_seconds else 0 end) as agent_handle_seconds_answered,
        sum(case when is_answered then talk_hold_seconds else 0 end) as talk_hold_seconds_answered
    from expanded
    group by
        period_grain,
        period_start,
        market_code,
        channel

)

select * from final
