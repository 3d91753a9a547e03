-- One row per agent; names and e-mails only as salted hashes.

with

agents as (

    select * from {{ ref('stg_workforce__agents') }}

),

final as (

    select
        agent_id,
        full_name_hash,
        team,
        market_code,
        employment,
        hired_on,
        left_on,
        coalesce(left_on is null, false) as is_current
    from agents

)

select * from final
