-- Agent KPIs per local date: handled contacts, AHT (agent formula: talk + hold +
-- after-call work of answered calls), FCR, CSAT and first response time, each
-- with numerator and denominator. Contacts count for the contact's agent
-- (ticket assignee, else first replier); FRT for the agent of the first public
-- reply; CSAT for the agent of the rated ticket or call, by rated date.
-- Formulas: the catalogue's aht_agent, first_contact_resolution, csat and
-- first_response_time (docs/kpis.md) with their scale; the numerators and
-- denominators are summed here from per-agent facts because the catalogue's
-- expressions read int_kpi__period_measures, which has no agent grain.
{%- set agent_kpi_codes = ['aht_agent', 'first_contact_resolution', 'csat', 'first_response_time'] %}

with

contacts as (

    select * from {{ ref('int_contacts__unified') }}

),

calls as (

    select * from {{ ref('int_calls__enriched') }}

),

tickets as (

    select * from {{ ref('int_tickets__enriched') }}

),

responses as (

    select * from {{ ref('int_survey_responses__unified') }}

),

agents as (

    select * from {{ ref('stg_workforce__agents') }}

),

contact_facts as (

    select
        agent_id,
        contact_date_local as date_day,
        1 as contacts,
        case when is_handled then 1 else 0 end as handled_contacts,
        case when is_fcr then 1 else 0 end as fcr_numerator,
        case when is_handled and is_known_customer then 1 else 0 end as fcr_denominator,
        0 as aht_agent_numerator,
        0 as aht_agent_denominator,
        0 as csat_numerator,
        0 as csat_denominator,
        0 as first_response_time_numerator,
        0 as first_response_time_denominator
    from contacts
    where agent_id is not null

),

call_facts as (

    select
        agent_id,
        started_date_local as date_day,
        0 as contacts,
        0 as handled_contacts,
        0 as fcr_numerator,
        0 as fcr_denominator,
        agent_handle_seconds as aht_agent_numerator,
        1 as aht_agent_denominator,
        0 as csat_numerator,
        0 as csat_denominator,
        0 as first_response_time_numerator,
        0 as first_response_time_denominator
    from calls
    where
        is_answered
        and agent_id is not null

),

rating_facts as (

    select
        agent_id,
        responded_date_local as date_day,
        0 as contacts,
        0 as handled_contacts,
        0 as fcr_numerator,
        0 as fcr_denominator,
        0 as aht_agent_numerator,
        0 as aht_agent_denominator,
        case when is_positive then 1 else 0 end as csat_numerator,
        1 as csat_denominator,
        0 as first_response_time_numerator,
        0 as first_response_time_denominator
    from responses
    where
        survey_type = 'csat'
        and agent_id is not null

),

first_reply_facts as (

    select
        first_reply_agent_id as agent_id,
        created_date_local as date_day,
        0 as contacts,
        0 as handled_contacts,
        0 as fcr_numerator,
        0 as fcr_denominator,
        0 as aht_agent_numerator,
        0 as aht_agent_denominator,
        0 as csat_numerator,
        0 as csat_denominator,
        first_response_seconds as first_response_time_numerator,
        1 as first_response_time_denominator
    from tickets
    where first_response_seconds is not null

),

agent_facts as (

    select * from contact_facts
    union all
    select * from call_facts
    union all
    select * from rating_facts
    union all
    select * from first_reply_facts

),

aggregated as (

    select
        agent_id,
        date_day,
        sum(contacts) as contacts,
        sum(handled_contacts) as handled_contacts,
        sum(aht_agent_numerator) as aht_agent_numerator,
        sum(aht_agent_denominator) as aht_agent_denominator,
        sum(fcr_numerator) as first_contact_resolution_numerator,
        sum(fcr_denominator) as first_contact_resolution_denominator,
        sum(csat_numerator) as csat_numerator,
        sum(csat_denominator) as csat_denominator,
        sum(first_response_time_numerator) as first_response_time_numerator,
        sum(first_response_time_denominator) as first_response_time_denominator
    from agent_facts
    group by
        agent_id,
        date_day

),

final as (

    select
        aggregated.agent_id,
        aggregated.date_day,
        agents.market_code,
        agents.team,
        aggregated.contacts,
        aggregated.handled_contacts,
        {%- for kpi in kpi_catalog() if kpi.code in agent_kpi_codes %}
            aggregated.{{ kpi.code }}_numerator,
            aggregated.{{ kpi.code }}_denominator,
            {{ safe_divide(
                'aggregated.' ~ kpi.code ~ '_numerator',
                'aggregated.' ~ kpi.code ~ '_denominator',
                kpi.scale
            ) }} as {{ kpi.code }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from aggregated
    left join agents
        on aggregated.agent_id = agents.agent_id

)

select * from final
