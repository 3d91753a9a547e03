-- Accepted rows of raw helpdesk/satisfaction_ratings: latest version per primary key, validated (SPEC §3, §5).

with

base as (

    select * from {{ ref('base_helpdesk__satisfaction_ratings') }}

),

accepted as (

    select
        rating_id,
        ticket_id,
        call_id,
        score,
        rated_at,
        comment_hash,
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
