{{ config(materialized='table') }}

-- Typed, PII-hashed, version-ranked and validated rows of raw surveys/ces_responses.
-- One row per raw row: stg_surveys__ces_responses keeps the accepted winners,
-- qrt_surveys__ces_responses the invalid winners (and every null-key row).

with

source as (

    select * from {{ source('surveys', 'ces_responses') }}

),

accepted_tickets as (

    select distinct ticket_id as accepted_ticket_id from {{ ref('stg_helpdesk__tickets') }}

),

accepted_calls as (

    select distinct call_id as accepted_call_id from {{ ref('stg_telephony__calls') }}

),

typed as (

    select
        {{ dbt.safe_cast('response_id', dbt.type_string()) }} as response_id,
        {{ dbt.safe_cast('customer_id', dbt.type_string()) }} as customer_id,
        {{ dbt.safe_cast('ticket_id', dbt.type_string()) }} as ticket_id,
        {{ dbt.safe_cast('call_id', dbt.type_string()) }} as call_id,
        {{ dbt.safe_cast('responded_at', dbt.type_timestamp()) }} as responded_at,
        {{ dbt.safe_cast('score', dbt.type_int()) }} as score,
        {{ dbt.safe_cast('_loaded_at', dbt.type_timestamp()) }} as loaded_at,
        (
            {{ cast_failed('responded_at', dbt.safe_cast('responded_at', dbt.type_timestamp())) }}
            or {{ cast_failed('score', dbt.safe_cast('score', dbt.type_int())) }}
            or {{ cast_failed('_loaded_at', dbt.safe_cast('_loaded_at', dbt.type_timestamp())) }}
        ) as has_invalid_type,
        {{ row_to_json({
            'response_id': 'response_id',
            'customer_id': 'customer_id',
            'ticket_id': 'ticket_id',
            'call_id': 'call_id',
            'responded_at': 'responded_at',
            'score': 'score',
            '_loaded_at': '_loaded_at'
        }) }} as raw_row
    from source

),

ranked as (

    select
        *,
        {{ row_key(['response_id']) }} as row_key,
        {{ dedupe_row_number(
            ['response_id'],
            ['loaded_at desc', 'raw_row desc']
        ) }} as version_rank
    from typed

),

validated as (

    select
        *,
        case
            when
                response_id is null
                then 'null_key'
            when
                score < 1
                or score > 7
                then 'score_out_of_range'
            when
                (ticket_id is not null and accepted_ticket_id is null)
                or (call_id is not null and accepted_call_id is null)
                then 'orphan_reference'
            when
                {{ is_future('responded_at') }}
                then 'future_timestamp'
            when
                has_invalid_type
                or loaded_at is null
                then 'invalid_value'
        end as quarantine_reason
    from ranked
    left join accepted_tickets on ranked.ticket_id = accepted_tickets.accepted_ticket_id
    left join accepted_calls on ranked.call_id = accepted_calls.accepted_call_id

),

final as (

    select
        'surveys/ces_responses' as source_table,
        row_key,
        response_id,
        customer_id,
        ticket_id,
        call_id,
        responded_at,
        score,
        loaded_at,
        raw_row,
        (row_key is not null and version_rank > 1) as is_duplicate,
        quarantine_reason
    from validated

)

select * from final
