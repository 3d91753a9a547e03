-- One row per customer contact (incoming call or created ticket) across all channels.
-- Incremental: the rows of int_contacts__unified changed since this model's watermark - lookback_days;
-- rows that left it are deleted (post-hook).

{{ config(
    materialized='incremental',
    unique_key='contact_id',
    incremental_strategy=incremental_strategy(),
    post_hook="{{ incremental_delete_missing('contact_id', ref('int_contacts__unified')) }}"
) }}
-- depends_on: {{ ref('base_telephony__calls') }}
-- depends_on: {{ ref('base_helpdesk__tickets') }}
-- depends_on: {{ ref('base_helpdesk__ticket_events') }}
-- depends_on: {{ ref('base_shop__customers') }}
{%- set cutoff = incremental_cutoff() %}

with

source_rows as (

    select * from {{ ref('int_contacts__unified') }}
    {%- if cutoff is not none %}
        where
            contact_id in ({{ changed_contact_ids(cutoff) }})
            or customer_id in ({{ affected_contact_customers(cutoff, [
                (ref('int_contacts__unified'), 'contact_id', changed_contact_ids(cutoff)),
            ]) }})
    {%- endif %}

),

final as (

    select * from source_rows

)

select * from final
