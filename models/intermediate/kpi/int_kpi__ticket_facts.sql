-- Ticket KPI measure inputs, one row per ticket and attribution (fact_type):
-- 'created' (created date, the ticket's agent: volume, resolution rate, reopen,
-- escalation), 'first_reply' (created date, the agent of the first public reply:
-- first response time and the ticket service level) and 'solved' (solved date,
-- the ticket's agent: resolution time; tickets now solved or closed only). Summed per period by
-- int_kpi__ticket_measures and per any grouping by the semantic layer.

with

enriched_tickets as (

    select * from {{ ref('int_tickets__enriched') }}

),

slas as (

    select * from {{ ref('int_tickets__slas') }}

),

sla_outcomes as (

    -- decided clocks only: achieved in time or breached; a pending clock or one without a business
    -- calendar counts in neither numerator nor denominator
    select
        ticket_id,
        max(case when sla_metric = 'first_reply' and sla_status = 'achieved' then 1 else 0 end)
            as sla_first_reply_met,
        max(case when sla_metric = 'first_reply' and sla_status in ('achieved', 'breached') then 1 else 0 end)
            as sla_first_reply_decided,
        max(case when sla_metric = 'resolution' and sla_status = 'achieved' then 1 else 0 end)
            as sla_resolution_met,
        max(case when sla_metric = 'resolution' and sla_status in ('achieved', 'breached') then 1 else 0 end)
            as sla_resolution_decided
    from slas
    where sla_metric in ('first_reply', 'resolution')
    group by ticket_id

),

tickets as (

    select
        enriched_tickets.*,
        coalesce(sla_outcomes.sla_first_reply_met, 0) as sla_first_reply_met,
        coalesce(sla_outcomes.sla_first_reply_decided, 0) as sla_first_reply_decided,
        coalesce(sla_outcomes.sla_resolution_met, 0) as sla_resolution_met,
        coalesce(sla_outcomes.sla_resolution_decided, 0) as sla_resolution_decided
    from enriched_tickets
    left join sla_outcomes
        on enriched_tickets.ticket_id = sla_outcomes.ticket_id

),

created_facts as (

    select
        ticket_id,
        'created' as fact_type,
        created_date_local as activity_date,
        market_code,
        channel,
        agent_id,
        1 as tickets_created,
        0 as tickets_first_reply_within_threshold,
        0 as tickets_first_replied,
        0 as first_response_seconds_sum,
        case when is_handled then 1 else 0 end as tickets_handled,
        case when is_handled and customer_id is not null then 1 else 0 end as tickets_handled_known_customer,
        case when is_resolved then 1 else 0 end as tickets_resolved,
        case when is_ever_solved then 1 else 0 end as tickets_ever_solved,
        case when is_reopened then 1 else 0 end as tickets_reopened,
        case when is_escalated then 1 else 0 end as tickets_escalated,
        0 as tickets_solved,
        0 as resolution_seconds_sum,
        0 as first_reply_business_seconds_sum,
        0 as tickets_first_replied_business,
        0 as resolution_business_seconds_sum,
        0 as tickets_solved_business,
        0 as sla_first_reply_met,
        0 as sla_first_reply_decided,
        sla_resolution_met,
        sla_resolution_decided
    from tickets

),

first_reply_facts as (

    select
        ticket_id,
        'first_reply' as fact_type,
        created_date_local as activity_date,
        market_code,
        channel,
        first_reply_agent_id as agent_id,
        0 as tickets_created,
        case when is_first_reply_within_threshold then 1 else 0 end
            as tickets_first_reply_within_threshold,
        case when first_response_seconds is not null then 1 else 0 end as tickets_first_replied,
        coalesce(first_response_seconds, 0) as first_response_seconds_sum,
        0 as tickets_handled,
        0 as tickets_handled_known_customer,
        0 as tickets_resolved,
        0 as tickets_ever_solved,
        0 as tickets_reopened,
        0 as tickets_escalated,
        0 as tickets_solved,
        0 as resolution_seconds_sum,
        coalesce(first_reply_business_seconds, 0) as first_reply_business_seconds_sum,
        case when first_reply_business_seconds is not null then 1 else 0 end as tickets_first_replied_business,
        0 as resolution_business_seconds_sum,
        0 as tickets_solved_business,
        sla_first_reply_met,
        sla_first_reply_decided,
        0 as sla_resolution_met,
        0 as sla_resolution_decided
    from tickets

),

solved_facts as (

    select
        ticket_id,
        'solved' as fact_type,
        solved_date_local as activity_date,
        market_code,
        channel,
        agent_id,
        0 as tickets_created,
        0 as tickets_first_reply_within_threshold,
        0 as tickets_first_replied,
        0 as first_response_seconds_sum,
        0 as tickets_handled,
        0 as tickets_handled_known_customer,
        0 as tickets_resolved,
        0 as tickets_ever_solved,
        0 as tickets_reopened,
        0 as tickets_escalated,
        1 as tickets_solved,
        resolution_seconds as resolution_seconds_sum,
        0 as first_reply_business_seconds_sum,
        0 as tickets_first_replied_business,
        coalesce(resolution_business_seconds, 0) as resolution_business_seconds_sum,
        case when resolution_business_seconds is not null then 1 else 0 end as tickets_solved_business,
        0 as sla_first_reply_met,
        0 as sla_first_reply_decided,
        0 as sla_resolution_met,
        0 as sla_resolution_decided
    from tickets
    -- only tickets whose current status is solved or closed have a resolution time
    where resolution_seconds is not null

),

final as (

    select * from created_facts
    union all
    select * from first_reply_facts
    union all
    select * from solved_facts

)

select * from final
