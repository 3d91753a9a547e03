{{ config(materialized='table') }}

-- Typed, PII-hashed, version-ranked and validated rows of raw workforce/employee_surveys.
-- One row per raw row: stg_workforce__employee_surveys keeps the accepted winners,
-- qrt_workforce__employee_surveys the invalid winners (and every null-key row).

with

source as (

    select * from {{ source('workforce', 'employee_surveys') }}

),

accepted_agents as (

    select distinct agent_id as accepted_agent_id from {{ ref('stg_workforce__agents') }}

),

typed as (

    select
        {{ dbt.safe_cast('response_id', dbt.type_string()) }} as response_id,
        {{ dbt.safe_cast('agent_id', dbt.type_string()) }} as agent_id,
        {{ dbt.safe_cast('survey_date', 'date') }} as survey_date,
        {{ dbt.safe_cast('score', dbt.type_int()) }} as score,
        {{ dbt.safe_cast('_loaded_at', dbt.type_timestamp()) }} as loaded_at,
        (
            {{ cast_failed('survey_date', dbt.safe_cast('survey_date', 'date')) }}
            or {{ cast_failed('score', dbt.safe_cast('score', dbt.type_int())) }}
            or {{ cast_failed('_loaded_at', dbt.safe_cast('_loaded_at', dbt.type_timestamp())) }}
        ) as has_invalid_type,
        {{ row_to_json({
            'response_id': 'response_id',
            'agent_id': 'agent_id',
            'survey_date': 'survey_date',
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
                or score > 5
                then 'score_out_of_range'
            when
                agent_id is null
                or accepted_agent_id is null
                then 'orphan_reference'
            when
                has_invalid_type
                or loaded_at is null
                then 'invalid_value'
        end as quarantine_reason
    from ranked
    left join accepted_agents on ranked.agent_id = accepted_agents.accepted_agent_id

),

final as (

    select
        'workforce/employee_surveys' as source_table,
        row_key,
        response_id,
        agent_id,
        survey_date,
        score,
        loaded_at,
        raw_row,
        (row_key is not null and version_rank > 1) as is_duplicate,
        quarantine_reason
    from validated

)

select * from final
