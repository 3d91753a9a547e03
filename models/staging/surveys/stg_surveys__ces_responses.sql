-- Accepted rows of raw surveys/ces_responses: latest version per primary key, validated (SPEC §3, §5).

with

base as (

    select * from {{ ref('base_surveys__ces_responses') }}

),

accepted as (

    select
        response_id,
        customer_id,
        ticket_id,
        call_id,
        responded_at,
        score,
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
