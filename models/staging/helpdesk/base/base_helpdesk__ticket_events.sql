{{ config(
    materialized='incremental',
    unique_key='row_key',
    incremental_strategy=incremental_strategy(),
    pre_hook="{{ incremental_delete_null_keys() }}"
) }}

-- Every raw row of helpdesk/ticket_events, typed, PII-hashed, version-ranked and validated from the
-- raw contract (docs/contract.md): stg_helpdesk__ticket_events keeps the accepted winners,
-- qrt_helpdesk__ticket_events the invalid winners and every null-key row.
-- Incremental: every version of the events loaded since the watermark minus lookback_days,
-- and of the events whose ticket (or its customer) was (their orphan check may change).
{%- set raw = raw_source('helpdesk', 'ticket_events') %}
{%- set where = none %}
{%- if is_incremental() %}
    {%- set where = incremental_raw_filter('event_id', raw, incremental_cutoff(), [
        ('ticket_id', raw_source('helpdesk', 'tickets'), 'ticket_id', [
            ('customer_id', raw_source('shop', 'customers'), 'customer_id'),
        ]),
    ]) %}
{%- endif %}

{{ stage_source('helpdesk', 'ticket_events', raw, where) }}
