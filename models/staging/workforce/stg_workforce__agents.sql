-- Accepted rows of raw workforce/agents: latest version per primary key, validated (SPEC §3, §5).

with

base as (

    select * from {{ ref('base_workforce__agents') }}

),

accepted as (

    select
        agent_id,
        full_name_hash,
        email_hash,
        team,
        market_code,
        employment,
        hired_on,
        left_on,
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
