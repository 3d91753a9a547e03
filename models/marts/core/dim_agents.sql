-- One row per agent; names and e-mails only as salted hashes. An agent that a call or ticket
-- names but workforce/agents lacks (or workforce is absent) is an inferred member:
-- is_inferred = true, attributes null, market from the referencing rows (the first by code).

with

agents as (

    select * from {{ ref('stg_workforce__agents') }}

),

calls as (

    select * from {{ ref('stg_telephony__calls') }}

),

tickets as (

    select * from {{ ref('int_tickets__enriched') }}

),

agent_references as (

    select
        agent_id,
        market_code
    from calls
    where agent_id is not null
    union all
    select
        agent_id,
        market_code
    from tickets
    where agent_id is not null

),

inferred_agents as (

    select
        agent_references.agent_id,
        min(agent_references.market_code) as market_code
    from agent_references
    left join agents
        on agent_references.agent_id = agents.agent_id
    where agents.agent_id is null
    group by agent_references.agent_id

),

known as (

    select
        agent_id,
        full_name_hash,
        team,
        market_code,
        employment,
        hired_on,
        left_on,
        coalesce(left_on is null, false) as is_current,
        false as is_inferred
    from agents

),

inferred as (

    select
        agent_id,
        cast(null as {{ dbt.type_string() }}) as full_name_hash,
        cast(null as {{ dbt.type_string() }}) as team,
        market_code,
        cast(null as {{ dbt.type_string() }}) as employment,
        cast(null as date) as hired_on,
        cast(null as date) as left_on,
        cast(null as {{ dbt.type_boolean() }}) as is_current,
        true as is_inferred
    from inferred_agents

),

final as (

    select * from known
    union all
    select * from inferred

)

select * from final
