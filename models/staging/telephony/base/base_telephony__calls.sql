{{ config(
    materialized='incremental',
    unique_key='row_key',
    incremental_strategy=incremental_strategy(),
    pre_hook="{{ incremental_delete_null_keys() }}"
) }}

-- Every raw row of telephony/calls, typed, PII-hashed, version-ranked and validated from the raw
-- contract (docs/contract.md): stg_telephony__calls keeps the accepted winners,
-- qrt_telephony__calls the invalid winners and every null-key row.
-- Incremental: every version of the calls loaded since the watermark minus lookback_days.
{%- set raw = raw_source('telephony', 'calls') %}
{%- set where = none %}
{%- if is_incremental() %}
    {%- set where = incremental_raw_filter('call_id', raw, incremental_cutoff(), []) %}
{%- endif %}

{{ stage_source('telephony', 'calls', raw, where) }}
