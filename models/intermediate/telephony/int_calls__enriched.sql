-- One row per call with the call flags of docs/kpis.md (offered, short abandon, incoming,
-- answered, service level, counted abandon, resolved), local start time and whether the call
-- started outside the market's business hours (int_business_time__*).
-- Incremental: re-computes the calls with a raw version loaded since the watermark
-- (max loaded_at) minus lookback_days; calls that left staging are deleted (post-hook).

{{ config(
    materialized='incremental',
    unique_key='call_id',
    incremental_strategy=incremental_strategy(),
    post_hook="{{ incremental_delete_missing('call_id', ref('stg_telephony__calls')) }}"
) }}
{%- set changed_calls = changed_call_ids(incremental_cutoff(), ref('base_telephony__calls')) %}

with

calls as (

    select * from {{ ref('stg_telephony__calls') }}
    {%- if is_incremental() %}
        where call_id in ({{ changed_calls }})
    {%- endif %}

),

markets as (

    select * from {{ ref('stg_reference__markets') }}

),

localized as (

    select
        calls.call_id,
        calls.direction,
        calls.market_code,
        calls.queue,
        calls.customer_id,
        calls.agent_id,
        calls.started_at,
        calls.queue_entered_at,
        calls.answered_at,
        calls.ended_at,
        calls.ivr_seconds,
        calls.queue_seconds,
        calls.talk_seconds,
        calls.hold_seconds,
        calls.after_call_work_seconds,
        calls.outcome,
        calls.disposition,
        calls.loaded_at,
        markets.timezone,
        {{ to_local_timestamp('calls.started_at', 'markets.timezone') }} as started_at_local
    from calls
    left join markets
        on calls.market_code = markets.market_code

),

offered_flags as (

    select
        *,
        coalesce(direction = 'inbound' and queue_entered_at is not null, false) as is_offered
    from localized

),

abandon_flags as (

    select
        *,
        coalesce(is_offered and outcome = 'abandoned', false) as is_abandoned,
        case
            when
                is_offered
                and outcome = 'abandoned'
                and coalesce(queue_seconds, 0) < {{ checked_var('short_abandon_seconds') }}
                then true
            else false
        end as is_short_abandon
    from offered_flags

),

incoming_flags as (

    select
        *,
        coalesce(is_offered and not is_short_abandon, false) as is_incoming
    from abandon_flags

),

answer_flags as (

    select
        *,
        coalesce(is_incoming and outcome = 'answered', false) as is_answered,
        coalesce(is_abandoned and not is_short_abandon, false) as is_abandoned_counted
    from incoming_flags

),

call_instants as (

    select
        call_id,
        market_code,
        'phone' as channel,
        started_at as instant_at
    from answer_flags

),

call_opening as (

    {{ business_positions('call_instants', ['call_id']) }}

),

final as (

    select
        answer_flags.call_id,
        direction,
        market_code,
        'phone' as channel,
        queue,
        customer_id,
        agent_id,
        started_at,
        started_at_local,
        cast(started_at_local as date) as started_date_local,
        queue_entered_at,
        answered_at,
        ended_at,
        ivr_seconds,
        queue_seconds,
        talk_seconds,
        hold_seconds,
        after_call_work_seconds,
        outcome,
        disposition,
        coalesce(direction = 'inbound', false) as is_inbound,
        is_offered,
        is_short_abandon,
        is_incoming,
        is_answered,
        case
            when
                is_answered
                and coalesce(queue_seconds, 0) <= {{ checked_var('service_level_seconds') }}
                then true
            else false
        end as is_answered_within_threshold,
        is_abandoned,
        is_abandoned_counted,
        coalesce(is_answered and disposition = 'resolved', false) as is_resolved,
        coalesce(queue_seconds, 0)
        + coalesce(talk_seconds, 0)
        + coalesce(hold_seconds, 0)
        + coalesce(after_call_work_seconds, 0) as handle_seconds,
        coalesce(talk_seconds, 0)
        + coalesce(hold_seconds, 0)
        + coalesce(after_call_work_seconds, 0) as agent_handle_seconds,
        coalesce(talk_seconds, 0)
        + coalesce(hold_seconds, 0) as talk_hold_seconds,
        -- null when the market has no business hours (unknown, not "inside")
        case
            when call_opening.business_position is not null then not call_opening.is_open
        end as is_outside_hours,
        answer_flags.loaded_at
    from answer_flags
    left join call_opening
        on answer_flags.call_id = call_opening.call_id

)

select * from final
