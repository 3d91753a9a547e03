-- Operating costs converted to EUR with the FX rate of the cost month (int_fx_rates__monthly),
-- as an exact decimal so their sums do not depend on row order.

with

costs as (

    select * from {{ ref('stg_finance__operating_costs') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates__monthly') }}

),

final as (

    select
        costs.operating_cost_id,
        costs.cost_month,
        costs.market_code,
        costs.cost_type,
        costs.amount,
        costs.currency,
        fx_rates.eur_per_unit,
        fx_rates.is_provisional as fx_is_provisional,
        fx_rates.published_month as fx_published_month,
        cast(costs.amount * fx_rates.eur_per_unit as {{ type_money() }}) as amount_eur
    from costs
    left join fx_rates
        on
            costs.currency = fx_rates.currency
            and costs.cost_month = fx_rates.rate_month

)

select * from final
