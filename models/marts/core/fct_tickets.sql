-- One row per helpdesk ticket with first response, resolution, reopen and escalation facts.
-- Incremental: the rows of int_tickets__enriched changed since this model's watermark - lookback_days;
-- rows that left it are deleted (post-hook).

{{ config(
    materialized='incremental',
    unique_key='ticket_id',
    incremental_strategy=incremental_strategy(),
    post_hook="{{ incremental_delete_missing('ticket_id', ref('int_tickets__enriched')) }}"
) }}
{%- set cutoff = incremental_cutoff() %}
{%- set changed_tickets = changed_ticket_ids(
    cutoff, ref('base_helpdesk__tickets'), ref('base_helpdesk__ticket_events'), ref('base_shop__customers')
) %}

with

source_rows as (

    select * from {{ ref('int_tickets__enriched') }}
    {%- if cutoff is not none %}
        where
            ticket_id in ({{ changed_tickets }})
    {%- endif %}

),

final as (

    select * from source_rows

)

select * from final
