-- One row per offered call (inbound, queued) with its KPI measure inputs: 0/1
-- flags and seconds that int_kpi__call_measures sums per period and the
-- semantic layer (models/semantic) sums per any grouping. Dated by the local
-- start date; attributed to the call's agent (null if never answered).

with

calls as (

    select * from {{ ref('int_calls__enriched') }}

),

offered_calls as (

    select * from calls
    where is_offered

),

final as (

    select
        call_id,
        started_date_local as activity_date,
        market_code,
        channel,
        agent_id,
        1 as calls_offered,
        case when is_short_abandon then 1 else 0 end as calls_short_abandoned,
        case when is_incoming then 1 else 0 end as calls_incoming,
        case when is_answered then 1 else 0 end as calls_answered,
        case when is_answered_within_threshold then 1 else 0 end as calls_answered_within_sl,
        case when is_abandoned_counted then 1 else 0 end as calls_abandoned_counted,
        case when is_resolved then 1 else 0 end as calls_resolved,
        -- a disposition is what makes the resolution outcome of an answered call known
        case when is_incoming and is_answered and disposition is not null then 1 else 0 end as calls_outcome_known,
        case
            when is_incoming and is_answered and disposition is not null and customer_id is not null then 1 else 0
        end as calls_outcome_known_customer,
        case when is_incoming then coalesce(queue_seconds, 0) else 0 end as queue_seconds_incoming,
        case when is_answered then coalesce(queue_seconds, 0) else 0 end as queue_seconds_answered,
        case when is_incoming then handle_seconds else 0 end as handle_seconds_incoming,
        case when is_answered then agent_handle_seconds else 0 end as agent_handle_seconds_answered,
        case when is_answered then talk_hold_seconds else 0 end as talk_hold_seconds_answered,
        -- outside hours is unknown (null) for a market without business hours: counted in neither
        case when is_incoming and is_outside_hours then 1 else 0 end as calls_incoming_outside_hours,
        case when is_incoming and is_outside_hours is not null then 1 else 0 end as calls_incoming_hours_known
    from offered_calls

)

select * from final
