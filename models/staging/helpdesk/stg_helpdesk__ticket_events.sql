-- Accepted rows of raw helpdesk/ticket_events: latest version per primary key, validated (SPEC §3, §5).
-- A view: the base model is incremental, this filter costs nothing to refresh.
{{ config(materialized='view') }}

with

base as (

    select * from {{ ref('base_helpdesk__ticket_events') }}

),

accepted as (

    select
        event_id,
        ticket_id,
        event_at,
        event_type,
        author_type,
        agent_id,
        is_public,
        status_from,
        status_to,
        escalated_to,
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
