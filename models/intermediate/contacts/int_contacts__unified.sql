-- One row per customer contact across all channels: incoming calls (docs/kpis.md:
-- offered minus short abandons) and created tickets. Calls that are not incoming
-- (outbound, never queued, short abandons) are not contacts and are left out.
-- Adds the repeat-contact look-ahead (same known customer, any channel, within
-- fcr_window_days) and the FCR flag.
-- Incremental: re-computes the changed contacts (call/ticket versions loaded since the
-- watermark minus lookback_days) and every contact of their customers (old and new
-- customer), so the look-ahead flags are right; vanished contacts are deleted (post-hook).

{{ config(
    materialized='incremental',
    unique_key='contact_id',
    incremental_strategy=incremental_strategy(),
    post_hook="{{ incremental_delete_missing(
        'contact_id', upstream_contact_ids(ref('int_calls__enriched'), ref('int_tickets__enriched'))
    ) }}"
) }}
{%- set cutoff = incremental_cutoff() %}
{%- set changed_calls = changed_call_ids(cutoff, ref('base_telephony__calls')) %}
{%- set changed_tickets = changed_ticket_ids(
    cutoff, ref('base_helpdesk__tickets'), ref('base_helpdesk__ticket_events'), ref('base_shop__customers')
) %}
{%- if cutoff is not none %}
    {%- set affected_customers = affected_contact_customers(changed_contact_ids(changed_calls, changed_tickets), [
        (ref('int_calls__enriched'), 'call_id', changed_calls),
        (ref('int_tickets__enriched'), 'ticket_id', changed_tickets),
    ]) %}
{%- endif %}

with

calls as (

    select * from {{ ref('int_calls__enriched') }}
    {%- if cutoff is not none %}
        where
            call_id in ({{ changed_calls }})
            or customer_id in ({{ affected_customers }})
    {%- endif %}

),

tickets as (

    select * from {{ ref('int_tickets__enriched') }}
    {%- if cutoff is not none %}
        where
            ticket_id in ({{ changed_tickets }})
            or customer_id in ({{ affected_customers }})
    {%- endif %}

),

call_contacts as (

    select
        {{ dbt.concat(["'call:'", 'call_id']) }} as contact_id,
        'call' as source,  -- noqa: RF04
        call_id as source_id,
        customer_id,
        market_code,
        channel,
        queue as category,
        agent_id,
        started_at as contact_at_utc,
        started_at_local as contact_at_local,
        started_date_local as contact_date_local,
        is_answered as is_handled,
        is_resolved,
        loaded_at
    from calls
    where is_incoming

),

ticket_contacts as (

    select
        {{ dbt.concat(["'ticket:'", 'ticket_id']) }} as contact_id,
        'ticket' as source,  -- noqa: RF04
        ticket_id as source_id,
        customer_id,
        market_code,
        channel,
        category,
        agent_id,
        created_at as contact_at_utc,
        created_at_local as contact_at_local,
        created_date_local as contact_date_local,
        is_handled,
        is_resolved,
        loaded_at
    from tickets

),

contacts as (

    select * from call_contacts
    union all
    select * from ticket_contacts

),

later_contacts as (

    select
        this_contact.contact_id,
        count(*) as later_contacts_within_window
    from contacts as this_contact
    inner join contacts as next_contact
        on
            this_contact.customer_id = next_contact.customer_id
            and this_contact.contact_at_utc < next_contact.contact_at_utc
            and next_contact.contact_at_utc
            <= {{ dbt.dateadd('day', checked_var('fcr_window_days'), 'this_contact.contact_at_utc') }}
    where this_contact.customer_id is not null
    group by this_contact.contact_id

),

flagged as (

    select
        contacts.*,
        contacts.customer_id is not null as is_known_customer,
        coalesce(later_contacts.later_contacts_within_window, 0) > 0
            as followed_by_repeat_within_window
    from contacts
    left join later_contacts
        on contacts.contact_id = later_contacts.contact_id

),

final as (

    select
        contact_id,
        source,  -- noqa: RF04
        source_id,
        customer_id,
        is_known_customer,
        market_code,
        channel,
        category,
        agent_id,
        contact_at_utc,
        contact_at_local,
        contact_date_local,
        true as is_contact,
        is_handled,
        is_resolved,
        followed_by_repeat_within_window,
        coalesce(
            is_handled
            and is_known_customer
            and is_resolved
            and not followed_by_repeat_within_window, false
        ) as is_fcr,
        loaded_at
    from flagged

)

select * from final
