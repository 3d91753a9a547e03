-- Survey KPI measure inputs, one row per response with a market: customer
-- surveys (CSAT by rated_at, NPS and CES by responded_at; the agent of the rated
-- ticket or call) and employee surveys (ESAT by survey_date, the employee's agent
-- and market). NPS, ESAT and CES responses without a ticket or call have no
-- channel. Summed per period by int_kpi__survey_measures and per any grouping by
-- the semantic layer.

with

responses as (

    select * from {{ ref('int_survey_responses__unified') }}

),

employee_surveys as (

    select * from {{ ref('int_employee_surveys__enriched') }}

),

response_facts as (

    select
        response_id,
        responded_date_local as activity_date,
        market_code,
        channel,
        agent_id,
        case when survey_type = 'csat' then 1 else 0 end as csat_ratings,
        case when survey_type = 'csat' and is_positive then 1 else 0 end as csat_positive_ratings,
        case when survey_type = 'nps' then 1 else 0 end as nps_responses,
        case when survey_type = 'nps' and is_promoter then 1 else 0 end as nps_promoters,
        case when survey_type = 'nps' and is_detractor then 1 else 0 end as nps_detractors,
        case when survey_type = 'ces' then 1 else 0 end as ces_responses,
        case when survey_type = 'ces' then score else 0 end as ces_score_sum,
        0 as esat_responses,
        0 as esat_positive_responses
    from responses

),

employee_facts as (

    select
        {{ dbt.concat(["'esat:'", 'response_id']) }} as response_id,
        survey_date as activity_date,
        market_code,
        cast(null as {{ dbt.type_string() }}) as channel,
        agent_id,
        0 as csat_ratings,
        0 as csat_positive_ratings,
        0 as nps_responses,
        0 as nps_promoters,
        0 as nps_detractors,
        0 as ces_responses,
        0 as ces_score_sum,
        1 as esat_responses,
        case when is_positive then 1 else 0 end as esat_positive_responses
    from employee_surveys

),

final as (

    select * from response_facts
    where market_code is not null
    union all
    select * from employee_facts
    where market_code is not null

)

select * from final
