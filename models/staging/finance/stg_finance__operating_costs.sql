-- Accepted rows of raw finance/operating_costs: latest version per primary key, validated (SPEC §3, §5).

with

base as (

    select * from {{ ref('base_finance__operating_costs') }}

),

accepted as (

    select
        operating_cost_id,
        cost_month,
        market_code,
        cost_type,
        amount,
        currency,
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
