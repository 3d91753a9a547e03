{{ config(
    materialized='incremental',
    unique_key='row_key',
    incremental_strategy=incremental_strategy(),
    pre_hook="{{ incremental_delete_null_keys() }}"
) }}

-- Every raw row of helpdesk/tickets, typed, PII-hashed, version-ranked and validated from the raw
-- contract (docs/contract.md): stg_helpdesk__tickets keeps the accepted winners,
-- qrt_helpdesk__tickets the invalid winners and every null-key row.
-- Incremental: every version of the tickets loaded since the watermark minus lookback_days,
-- and of the tickets whose customer was (their orphan check may change).
{%- set raw = raw_source('helpdesk', 'tickets') %}
{%- set where = none %}
{%- if is_incremental() %}
    {%- set where = incremental_raw_filter('ticket_id', raw, incremental_cutoff(), [
        ('customer_id', raw_source('shop', 'customers'), 'customer_id'),
    ]) %}
{%- endif %}

{{ stage_source('helpdesk', 'tickets', raw, where) }}
