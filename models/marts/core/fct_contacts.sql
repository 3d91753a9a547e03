-- One row per customer contact (incoming call or created ticket) across all channels.
-- Incremental: the rows of int_contacts__unified changed since this model's watermark - lookback_days;
-- rows that left it are deleted (post-hook).

{{ config(
    materialized='incremental',
    unique_key='contact_id',
    incremental_strategy=incremental_strategy(),
    post_hook="{{ incremental_delete_missing('contact_id', ref('int_contacts__unified')) }}"
) }}
{%- set cutoff = incremental_cutoff() %}
{%- set changed_contacts = changed_contact_ids(
    changed_call_ids(cutoff, ref('base_telephony__calls')),
    changed_ticket_ids(
        cutoff, ref('base_helpdesk__tickets'), ref('base_helpdesk__ticket_events'), ref('base_shop__customers')
    ),
) %}

with

source_rows as (

    select * from {{ ref('int_contacts__unified') }}
    {%- if cutoff is not none %}
        where
            contact_id in ({{ changed_contacts }})
            or customer_id in ({{ affected_contact_customers(changed_contacts, [
                (ref('int_contacts__unified'), 'contact_id', changed_contacts),
            ]) }})
    {%- endif %}

),

final as (

    select * from source_rows

)

select * from final
