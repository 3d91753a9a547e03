{{ config(
    materialized='incremental',
    unique_key='row_key',
    incremental_strategy=incremental_strategy(),
    pre_hook="{{ incremental_delete_null_keys() }}"
) }}

-- Typed, PII-hashed, version-ranked and validated rows of raw telephony/calls.
-- One row per raw row: stg_telephony__calls keeps the accepted winners,
-- qrt_telephony__calls the invalid winners (and every null-key row).

with

source as (

    select * from {{ source('telephony', 'calls') }}
    {%- if is_incremental() %}
        -- incremental: every version of the keys touched since the watermark - lookback_days
        where {{ incremental_raw_filter('call_id', source('telephony', 'calls'), incremental_cutoff(), []) }}
    {%- endif %}

),

markets as (

    select distinct market_code as known_market_code from {{ ref('markets') }}

),

typed as (

    select
        {{ dbt.safe_cast('call_id', dbt.type_string()) }} as call_id,
        {{ dbt.safe_cast('direction', dbt.type_string()) }} as direction,
        {{ dbt.safe_cast('market_code', dbt.type_string()) }} as market_code,
        {{ dbt.safe_cast('queue', dbt.type_string()) }} as queue,
        {{ dbt.safe_cast('customer_id', dbt.type_string()) }} as customer_id,
        {{ hash_pii('caller_number') }} as caller_number_hash,
        {{ dbt.safe_cast('started_at', dbt.type_timestamp()) }} as started_at,
        {{ dbt.safe_cast('ivr_seconds', dbt.type_int()) }} as ivr_seconds,
        {{ dbt.safe_cast('queue_entered_at', dbt.type_timestamp()) }} as queue_entered_at,
        {{ dbt.safe_cast('queue_seconds', dbt.type_int()) }} as queue_seconds,
        {{ dbt.safe_cast('answered_at', dbt.type_timestamp()) }} as answered_at,
        {{ dbt.safe_cast('ended_at', dbt.type_timestamp()) }} as ended_at,
        {{ dbt.safe_cast('agent_id', dbt.type_string()) }} as agent_id,
        {{ dbt.safe_cast('talk_seconds', dbt.type_int()) }} as talk_seconds,
        {{ dbt.safe_cast('hold_seconds', dbt.type_int()) }} as hold_seconds,
        {{ dbt.safe_cast('after_call_work_seconds', dbt.type_int()) }} as after_call_work_seconds,
        {{ dbt.safe_cast('outcome', dbt.type_string()) }} as outcome,
        {{ dbt.safe_cast('disposition', dbt.type_string()) }} as disposition,
        {{ dbt.safe_cast('_loaded_at', dbt.type_timestamp()) }} as loaded_at,
        (
            {{ cast_failed('started_at', dbt.safe_cast('started_at', dbt.type_timestamp())) }}
            or {{ cast_failed('ivr_seconds', dbt.safe_cast('ivr_seconds', dbt.type_int())) }}
            or {{ cast_failed('queue_entered_at', dbt.safe_cast('queue_entered_at', dbt.type_timestamp())) }}
            or {{ cast_failed('queue_seconds', dbt.safe_cast('queue_seconds', dbt.type_int())) }}
            or {{ cast_failed('answered_at', dbt.safe_cast('answered_at', dbt.type_timestamp())) }}
            or {{ cast_failed('ended_at', dbt.safe_cast('ended_at', dbt.type_timestamp())) }}
            or {{ cast_failed('talk_seconds', dbt.safe_cast('talk_seconds', dbt.type_int())) }}
            or {{ cast_failed('hold_seconds', dbt.safe_cast('hold_seconds', dbt.type_int())) }}
            or {{ cast_failed('after_call_work_seconds', dbt.safe_cast('after_call_work_seconds', dbt.type_int())) }}
            or {{ cast_failed('_loaded_at', dbt.safe_cast('_loaded_at', dbt.type_timestamp())) }}
        ) as has_invalid_type,
        {{ row_to_json({
            'call_id': 'call_id',
            'direction': 'direction',
            'market_code': 'market_code',
            'queue': 'queue',
            'customer_id': 'customer_id',
            'caller_number_hash': hash_pii('caller_number'),
            'started_at': 'started_at',
            'ivr_seconds': 'ivr_seconds',
            'queue_entered_at': 'queue_entered_at',
            'queue_seconds': 'queue_seconds',
            'answered_at': 'answered_at',
            'ended_at': 'ended_at',
            'agent_id': 'agent_id',
            'talk_seconds': 'talk_seconds',
            'hold_seconds': 'hold_seconds',
            'after_call_work_seconds': 'after_call_work_seconds',
            'outcome': 'outcome',
            'disposition': 'disposition',
            '_loaded_at': '_loaded_at'
        }) }} as raw_row
    from source

),

ranked as (

    select
        *,
        {{ row_key(['call_id']) }} as row_key,
        {{ dedupe_row_number(
            ['call_id'],
            ['loaded_at desc', 'raw_row desc']
        ) }} as version_rank
    from typed

),

validated as (

    select
        *,
        case
            when
                call_id is null
                then 'null_key'
            when
                market_code is null
                or known_market_code is null
                then 'unknown_market'
            when
                ivr_seconds < 0
                or queue_seconds < 0
                or talk_seconds < 0
                or hold_seconds < 0
                or after_call_work_seconds < 0
                then 'negative_duration'
            when
                ended_at < started_at
                or answered_at < started_at
                then 'end_before_start'
            when
                {{ is_future('started_at') }}
                or {{ is_future('queue_entered_at') }}
                or {{ is_future('answered_at') }}
                or {{ is_future('ended_at') }}
                then 'future_timestamp'
            when
                has_invalid_type
                or loaded_at is null
                or {{ not_accepted('direction', ['inbound', 'outbound']) }}
                or {{ not_accepted('queue', [
                    'pre_sales', 'order_status', 'delivery', 'returns', 'payment', 'product',
                    'complaint', 'other'
                ]) }}
                or {{ not_accepted('outcome', [
                    'answered', 'abandoned', 'ivr_completed', 'callback_requested', 'voicemail'
                ]) }}
                or {{ not_accepted('disposition', ['resolved', 'unresolved', 'transferred', 'escalated']) }}
                then 'invalid_value'
        end as quarantine_reason
    from ranked
    left join markets on ranked.market_code = markets.known_market_code

),

final as (

    select
        'telephony/calls' as source_table,
        row_key,
        call_id,
        direction,
        market_code,
        queue,
        customer_id,
        caller_number_hash,
        started_at,
        ivr_seconds,
        queue_entered_at,
        queue_seconds,
        answered_at,
        ended_at,
        agent_id,
        talk_seconds,
        hold_seconds,
        after_call_work_seconds,
        outcome,
        disposition,
        loaded_at,
        raw_row,
        (row_key is not null and version_rank > 1) as is_duplicate,
        quarantine_reason
    from validated

)

select * from final
