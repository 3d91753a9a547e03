-- Accepted rows of raw workforce/employee_surveys: latest version per primary key, validated (SPEC §3, §5).

with

base as (

    select * from {{ ref('base_workforce__employee_surveys') }}

),

accepted as (

    select
        response_id,
        agent_id,
        survey_date,
        score,
        loaded_at
    from base
    where
        not is_duplicate
        and quarantine_reason is null

),

final as (

    select * from accepted

)

select * from final
