{{ config(materialized='table') }}

-- Typed, PII-hashed, version-ranked and validated rows of raw workforce/agents.
-- One row per raw row: stg_workforce__agents keeps the accepted winners,
-- qrt_workforce__agents the invalid winners (and every null-key row).

with

source as (

    select * from {{ source('workforce', 'agents') }}

),

markets as (

    select distinct market_code as known_market_code from {{ ref('markets') }}

),

typed as (

    select
        {{ dbt.safe_cast('agent_id', dbt.type_string()) }} as agent_id,
        {{ hash_pii('full_name') }} as full_name_hash,
        {{ hash_pii('email') }} as email_hash,
        {{ dbt.safe_cast('team', dbt.type_string()) }} as team,
        {{ dbt.safe_cast('market_code', dbt.type_string()) }} as market_code,
        {{ dbt.safe_cast('employment', dbt.type_string()) }} as employment,
        {{ dbt.safe_cast('hired_on', 'date') }} as hired_on,
        {{ dbt.safe_cast('left_on', 'date') }} as left_on,
        {{ dbt.safe_cast('_loaded_at', dbt.type_timestamp()) }} as loaded_at,
        (
            {{ cast_failed('hired_on', dbt.safe_cast('hired_on', 'date')) }}
            or {{ cast_failed('left_on', dbt.safe_cast('left_on', 'date')) }}
            or {{ cast_failed('_loaded_at', dbt.safe_cast('_loaded_at', dbt.type_timestamp())) }}
        ) as has_invalid_type,
        {{ row_to_json({
            'agent_id': 'agent_id',
            'full_name_hash': hash_pii('full_name'),
            'email_hash': hash_pii('email'),
            'team': 'team',
            'market_code': 'market_code',
            'employment': 'employment',
            'hired_on': 'hired_on',
            'left_on': 'left_on',
            '_loaded_at': '_loaded_at'
        }) }} as raw_row
    from source

),

ranked as (

    select
        *,
        {{ row_key(['agent_id']) }} as row_key,
        {{ dedupe_row_number(
            ['agent_id'],
            ['loaded_at desc', 'raw_row desc']
        ) }} as version_rank
    from typed

),

validated as (

    select
        *,
        case
            when
                agent_id is null
                then 'null_key'
            when
                market_code is null
                or known_market_code is null
                then 'unknown_market'
            when
                left_on < hired_on
                then 'end_before_start'
            when
                has_invalid_type
                or loaded_at is null
                or {{ not_accepted('employment', ['in_house', 'outsourced']) }}
                then 'invalid_value'
        end as quarantine_reason
    from ranked
    left join markets on ranked.market_code = markets.known_market_code

),

final as (

    select
        'workforce/agents' as source_table,
        row_key,
        agent_id,
        full_name_hash,
        email_hash,
        team,
        market_code,
        employment,
        hired_on,
        left_on,
        loaded_at,
        raw_row,
        (row_key is not null and version_rank > 1) as is_duplicate,
        quarantine_reason
    from validated

)

select * from final
