-- Accepted rows of raw helpdesk/tickets: latest version per primary key, validated (SPEC §3, §5).
-- A view: the base model is incremental, this filter costs nothing to refresh.
{{ config(materialized='view') }}

with

base as (

    select * from {{ ref('base_helpdesk__tickets') }}

),

accepted as (

    select
        ticket_id,
        market_code,
        channel,
        customer_id,
        order_id,
        category,
        priority,
        status,
        assignee_agent_id,
        created_at,
        updated_at,
        solved_at,
        requester_email_hash,
        subject_hash,
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
