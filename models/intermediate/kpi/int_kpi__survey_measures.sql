-- Survey numerators and denominators per period, market and channel: CSAT
-- (rated_at), NPS and CES (responded_at), ESAT (survey_date, agent's market).
-- NPS, ESAT and CES responses without a ticket or call only count in channel all.

with

responses as (

    select * from {{ ref('int_survey_responses__unified') }}

),

employee_surveys as (

    select * from {{ ref('int_employee_surveys__enriched') }}

),

grains as (

    {{ kpi_grains_select() }}

),

channel_scopes as (

    {{ channel_scopes_select() }}

),

response_facts as (

    select
        market_code,
        channel,
        responded_date_local as activity_date,
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
        market_code,
        cast(null as {{ dbt.type_string() }}) as channel,
        survey_date as activity_date,
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

survey_facts as (

    select * from response_facts
    union all
    select * from employee_facts

),

expanded as (

    select
        grains.period_grain,
        {{ period_start_for_grain('survey_facts.activity_date') }} as period_start,
        survey_facts.market_code,
        case
            when channel_scopes.channel_scope = 'all' then 'all'
            else survey_facts.channel
        end as channel,
        survey_facts.csat_ratings,
        survey_facts.csat_positive_ratings,
        survey_facts.nps_responses,
        survey_facts.nps_promoters,
        survey_facts.nps_detractors,
        survey_facts.ces_responses,
        survey_facts.ces_score_sum,
        survey_facts.esat_responses,
        survey_facts.esat_positive_responses
    from survey_facts
    cross join grains
    cross join channel_scopes
    where
        survey_facts.market_code is not null
        and (channel_scopes.channel_scope = 'all' or survey_facts.channel is not null)

),

final as (

    select
        period_grain,
        period_start,
        market_code,
        channel,
        sum(csat_ratings) as csat_ratings,
        sum(csat_positive_ratings) as csat_positive_ratings,
        sum(nps_responses) as nps_responses,
        sum(nps_promoters) as nps_promoters,
        sum(nps_detractors) as nps_detractors,
        sum(ces_responses) as ces_responses,
        sum(ces_score_sum) as ces_score_sum,
        sum(esat_responses) as esat_responses,
        sum(esat_positive_responses) as esat_positive_responses
    from expanded
    group by
        period_grain,
        period_start,
        market_code,
        channel

)

select * from final
