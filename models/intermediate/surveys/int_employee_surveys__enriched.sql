-- Employee satisfaction survey responses with the agent's market (docs/kpis.md: ESAT
-- by survey_date and the agent's market).

with

employee_surveys as (

    select * from {{ ref('stg_workforce__employee_surveys') }}

),

agents as (

    select * from {{ ref('stg_workforce__agents') }}

),

final as (

    select
        employee_surveys.response_id,
        employee_surveys.agent_id,
        agents.market_code,
        agents.team,
        employee_surveys.survey_date,
        employee_surveys.score,
        coalesce(employee_surveys.score >= 4, false) as is_positive
    from employee_surveys
    left join agents
        on employee_surveys.agent_id = agents.agent_id

)

select * from final
