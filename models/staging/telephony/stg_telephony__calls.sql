-- Accepted rows of raw telephony/calls: latest version per primary key, validated (SPEC §3, §5).
-- A view: the base model is incremental, this filter costs nothing to refresh.
{{ config(materialized='view') }}

with

base as (

    select * from {{ ref('base_telephony__calls') }}

),

accepted as (

    select
        call_id,
        direction,
        market_code,
        queue,
        customer_id,
        caller_number_hash,
        started_at,
        ivr_seconds,
        queue_entered_at,
        queue_seconds,
        answered_at,
        ended_at,
        agent_id,
        talk_seconds,
        hold_seconds,
        after_call_work_seconds,
        outcome,
        disposition,
        loaded_at
    from base
    where
        not is_duplicate
        and quarantine_reason is null

),

final as (

    select * from accepted

)

select * from final
