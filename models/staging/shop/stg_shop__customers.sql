-- Accepted rows of raw shop/customers: latest version per primary key, validated (SPEC §3, §5).

with

base as (

    select * from {{ ref('base_shop__customers') }}

),

accepted as (

    select
        customer_id,
        market_code,
        email_hash,
        phone_hash,
        created_at,
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
