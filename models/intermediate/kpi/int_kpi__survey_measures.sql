-- Survey numerators and denominators per period, market and channel: CSAT
-- (rated_at), NPS and CES (responded_at), ESAT (survey_date, agent's market).
-- NPS, ESAT and CES responses without a ticket or call only count in channel all.
-- The sums of the measure inputs of int_kpi__survey_facts.

with

survey_facts as (

    select * from {{ ref('int_kpi__survey_facts') }}

),

grains as (

    {{ kpi_grains_select() }}

),

channel_scopes as (

    {{ channel_scopes_select() }}

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
    where channel_scopes.channel_scope = 'all' or survey_facts.channel is not null

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
