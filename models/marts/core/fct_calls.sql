-- One row per call (inbound and outbound) with the SPEC call flags.
-- Incremental: the rows of int_calls__enriched changed since this model's watermark - lookback_days;
-- rows that left it are deleted (post-hook).

{{ config(
    materialized='incremental',
    unique_key='call_id',
    incremental_strategy=incremental_strategy(),
    post_hook="{{ incremental_delete_missing('call_id', ref('int_calls__enriched')) }}"
) }}
{%- set cutoff = incremental_cutoff() %}
{%- set changed_calls = changed_call_ids(cutoff, ref('base_telephony__calls')) %}

with

source_rows as (

    select * from {{ ref('int_calls__enriched') }}
    {%- if cutoff is not none %}
        where
            call_id in ({{ changed_calls }})
    {%- endif %}

),

final as (

    select * from source_rows

)

select * from final
