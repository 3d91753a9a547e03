{{ config(materialized='table') }}

-- Typed, PII-hashed, version-ranked and validated rows of raw helpdesk/satisfaction_ratings.
-- One row per raw row: stg_helpdesk__satisfaction_ratings keeps the accepted winners,
-- qrt_helpdesk__satisfaction_ratings the invalid winners (and every null-key row).

with

source as (

    select * from {{ source('helpdesk', 'satisfaction_ratings') }}

),

accepted_tickets as (

    select distinct ticket_id as accepted_ticket_id from {{ ref('stg_helpdesk__tickets') }}

),

accepted_calls as (

    select distinct call_id as accepted_call_id from {{ ref('stg_telephony__calls') }}

),

typed as (

    select
        {{ dbt.safe_cast('rating_id', dbt.type_string()) }} as rating_id,
        {{ dbt.safe_cast('ticket_id', dbt.type_string()) }} as ticket_id,
        {{ dbt.safe_cast('call_id', dbt.type_string()) }} as call_id,
        {{ dbt.safe_cast('score', dbt.type_int()) }} as score,
        {{ dbt.safe_cast('rated_at', dbt.type_timestamp()) }} as rated_at,
        {{ hash_pii('comment') }} as comment_hash,
        {{ dbt.safe_cast('_loaded_at', dbt.type_timestamp()) }} as loaded_at,
        (
            {{ cast_failed('score', dbt.safe_cast('score', dbt.type_int())) }}
            or {{ cast_failed('rated_at', dbt.safe_cast('rated_at', dbt.type_timestamp())) }}
            or {{ cast_failed('_loaded_at', dbt.safe_cast('_loaded_at', dbt.type_timestamp())) }}
        ) as has_invalid_type,
        {{ row_to_json({
            'rating_id': 'rating_id',
            'ticket_id': 'ticket_id',
            'call_id': 'call_id',
            'score': 'score',
            'rated_at': 'rated_at',
            'comment_hash': hash_pii('comment'),
            '_loaded_at': '_loaded_at'
        }) }} as raw_row
    from source

),

ranked as (

    select
        *,
        {{ row_key(['rating_id']) }} as row_key,
        {{ dedupe_row_number(
            ['rating_id'],
            ['loaded_at desc', 'raw_row desc']
        ) }} as version_rank
    from typed

),

validated as (

    select
        *,
        case
            when
                rating_id is null
                then 'null_key'
            when
                score < 1
                or score > 5
                then 'score_out_of_range'
            when
                (ticket_id is not null and accepted_ticket_id is null)
                or (call_id is not null and accepted_call_id is null)
                then 'orphan_reference'
            when
                {{ is_future('rated_at') }}
                then 'future_timestamp'
            when
                has_invalid_type
                or loaded_at is null
                or (ticket_id is null and call_id is null)
                or (ticket_id is not null and call_id is not null)
                then 'invalid_value'
        end as quarantine_reason
    from ranked
    left join accepted_tickets on ranked.ticket_id = accepted_tickets.accepted_ticket_id
    left join accepted_calls on ranked.call_id = accepted_calls.accepted_call_id

),

final as (

    select
        'helpdesk/satisfaction_ratings' as source_table,
        row_key,
        rating_id,
        ticket_id,
        call_id,
        score,
        rated_at,
        comment_hash,
        loaded_at,
        raw_row,
        (row_key is not null and version_rank > 1) as is_duplicate,
        quarantine_reason
    from validated

)

select * from final
