-- CSAT ratings, NPS and CES responses in one shape. Attribution (docs/kpis.md):
-- ratings by rated_at with the market and channel of the rated ticket or call;
-- NPS by responded_at with its own market (else the customer's); CES by
-- responded_at with the market of its ticket or call, else the customer's.

with

ratings as (

    select * from {{ ref('stg_helpdesk__satisfaction_ratings') }}

),

nps_responses as (

    select * from {{ ref('stg_surveys__nps_responses') }}

),

ces_responses as (

    select * from {{ ref('stg_surveys__ces_responses') }}

),

tickets as (

    select * from {{ ref('int_tickets__enriched') }}

),

calls as (

    select * from {{ ref('int_calls__enriched') }}

),

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

markets as (

    select * from {{ ref('stg_reference__markets') }}

),

csat_rows as (

    select
        {{ dbt.concat(["'csat:'", 'ratings.rating_id']) }} as response_id,
        ratings.rating_id as source_response_id,
        'csat' as survey_type,
        ratings.score,
        coalesce(tickets.customer_id, calls.customer_id) as customer_id,
        ratings.ticket_id,
        ratings.call_id,
        coalesce(tickets.agent_id, calls.agent_id) as agent_id,
        coalesce(tickets.market_code, calls.market_code) as market_code,
        coalesce(tickets.channel, calls.channel) as channel,
        ratings.rated_at as responded_at
    from ratings
    left join tickets
        on ratings.ticket_id = tickets.ticket_id
    left join calls
        on ratings.call_id = calls.call_id

),

nps_rows as (

    select
        {{ dbt.concat(["'nps:'", 'nps_responses.response_id']) }} as response_id,
        nps_responses.response_id as source_response_id,
        'nps' as survey_type,
        nps_responses.score,
        nps_responses.customer_id,
        cast(null as {{ dbt.type_string() }}) as ticket_id,
        cast(null as {{ dbt.type_string() }}) as call_id,
        cast(null as {{ dbt.type_string() }}) as agent_id,
        coalesce(nps_responses.market_code, customers.market_code) as market_code,
        cast(null as {{ dbt.type_string() }}) as channel,
        nps_responses.responded_at
    from nps_responses
    left join customers
        on nps_responses.customer_id = customers.customer_id

),

ces_rows as (

    select
        {{ dbt.concat(["'ces:'", 'ces_responses.response_id']) }} as response_id,
        ces_responses.response_id as source_response_id,
        'ces' as survey_type,
        ces_responses.score,
        ces_responses.customer_id,
        ces_responses.ticket_id,
        ces_responses.call_id,
        coalesce(tickets.agent_id, calls.agent_id) as agent_id,
        coalesce(tickets.market_code, calls.market_code, customers.market_code) as market_code,
        coalesce(tickets.channel, calls.channel) as channel,
        ces_responses.responded_at
    from ces_responses
    left join tickets
        on ces_responses.ticket_id = tickets.ticket_id
    left join calls
        on ces_responses.call_id = calls.call_id
    left join customers
        on ces_responses.customer_id = customers.customer_id

),

unioned as (

    select * from csat_rows
    union all
    select * from nps_rows
    union all
    select * from ces_rows

),

localized as (

    select
        unioned.*,
        {{ to_local_timestamp('unioned.responded_at', 'markets.timezone') }} as responded_at_local
    from unioned
    left join markets
        on unioned.market_code = markets.market_code

),

final as (

    select
        response_id,
        source_response_id,
        survey_type,
        score,
        customer_id,
        ticket_id,
        call_id,
        agent_id,
        market_code,
        channel,
        responded_at,
        responded_at_local,
        cast(responded_at_local as date) as responded_date_local,
        case
            when survey_type = 'csat' and score >= {{ checked_var('csat_positive_min') }} then true
            when survey_type = 'csat' then false
        end as is_positive,
        case
            when survey_type = 'nps' and score >= 9 then true
            when survey_type = 'nps' then false
        end as is_promoter,
        case
            when survey_type = 'nps' and score <= 6 then true
            when survey_type = 'nps' then false
        end as is_detractor
    from localized

)

select * from final
