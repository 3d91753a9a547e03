{{ config(
    materialized='incremental',
    unique_key='row_key',
    incremental_strategy=incremental_strategy(),
    pre_hook="{{ incremental_delete_null_keys() }}"
) }}

-- Typed, PII-hashed, version-ranked and validated rows of raw helpdesk/ticket_events.
-- One row per raw row: stg_helpdesk__ticket_events keeps the accepted winners,
-- qrt_helpdesk__ticket_events the invalid winners (and every null-key row).

with

source as (

    select * from {{ source('helpdesk', 'ticket_events') }}
    {%- if is_incremental() %}
        -- incremental: every version of the keys touched since the watermark - lookback_days
        where {{ incremental_raw_filter(
            'event_id', source('helpdesk', 'ticket_events'), incremental_cutoff(),
            [('ticket_id', source('helpdesk', 'tickets'), 'ticket_id',
                [('customer_id', source('shop', 'customers'), 'customer_id')])]
        ) }}
    {%- endif %}

),

accepted_tickets as (

    select distinct ticket_id as accepted_ticket_id from {{ ref('stg_helpdesk__tickets') }}

),

typed as (

    select
        {{ dbt.safe_cast('event_id', dbt.type_string()) }} as event_id,
        {{ dbt.safe_cast('ticket_id', dbt.type_string()) }} as ticket_id,
        {{ dbt.safe_cast('event_at', dbt.type_timestamp()) }} as event_at,
        {{ dbt.safe_cast('event_type', dbt.type_string()) }} as event_type,
        {{ dbt.safe_cast('author_type', dbt.type_string()) }} as author_type,
        {{ dbt.safe_cast('agent_id', dbt.type_string()) }} as agent_id,
        {{ dbt.safe_cast('is_public', dbt.type_boolean()) }} as is_public,
        {{ dbt.safe_cast('status_from', dbt.type_string()) }} as status_from,
        {{ dbt.safe_cast('status_to', dbt.type_string()) }} as status_to,
        {{ dbt.safe_cast('escalated_to', dbt.type_string()) }} as escalated_to,
        {{ dbt.safe_cast('_loaded_at', dbt.type_timestamp()) }} as loaded_at,
        (
            {{ cast_failed('event_at', dbt.safe_cast('event_at', dbt.type_timestamp())) }}
            or {{ cast_failed('is_public', dbt.safe_cast('is_public', dbt.type_boolean())) }}
            or {{ cast_failed('_loaded_at', dbt.safe_cast('_loaded_at', dbt.type_timestamp())) }}
        ) as has_invalid_type,
        {{ row_to_json({
            'event_id': 'event_id',
            'ticket_id': 'ticket_id',
            'event_at': 'event_at',
            'event_type': 'event_type',
            'author_type': 'author_type',
            'agent_id': 'agent_id',
            'is_public': 'is_public',
            'status_from': 'status_from',
            'status_to': 'status_to',
            'escalated_to': 'escalated_to',
            '_loaded_at': '_loaded_at'
        }) }} as raw_row
    from source

),

ranked as (

    select
        *,
        {{ row_key(['event_id']) }} as row_key,
        {{ dedupe_row_number(
            ['event_id'],
            ['loaded_at desc', 'raw_row desc']
        ) }} as version_rank
    from typed

),

validated as (

    select
        *,
        case
            when
                event_id is null
                then 'null_key'
            when
                ticket_id is null
                or accepted_ticket_id is null
                then 'orphan_reference'
            when
                {{ is_future('event_at') }}
                then 'future_timestamp'
            when
                has_invalid_type
                or loaded_at is null
                or {{ not_accepted('event_type', [
                    'created', 'agent_reply', 'customer_reply', 'internal_note', 'status_change',
                    'assignment', 'escalation', 'escalation_resolved'
                ]) }}
                or {{ not_accepted('author_type', ['agent', 'customer', 'system']) }}
                or {{ not_accepted('status_from', ['new', 'open', 'pending', 'on_hold', 'solved', 'closed']) }}
                or {{ not_accepted('status_to', ['new', 'open', 'pending', 'on_hold', 'solved', 'closed']) }}
                then 'invalid_value'
        end as quarantine_reason
    from ranked
    left join accepted_tickets on ranked.ticket_id = accepted_tickets.accepted_ticket_id

),

final as (

    select
        'helpdesk/ticket_events' as source_table,
        row_key,
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
        loaded_at,
        raw_row,
        (row_key is not null and version_rank > 1) as is_duplicate,
        quarantine_reason
    from validated

)

select * from final
