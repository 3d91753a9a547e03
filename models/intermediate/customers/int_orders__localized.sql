-- One row per order with the local order date of its market and the EUR amount
-- (monthly FX rate of the order's local month; int_fx_rates__monthly, provisional when carried forward).

with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

markets as (

    select * from {{ ref('stg_reference__markets') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates__monthly') }}

),

localized as (

    select
        orders.order_id,
        orders.customer_id,
        orders.market_code,
        orders.ordered_at,
        {{ month_start(to_local_timestamp('orders.ordered_at', 'markets.timezone')) }} as ordered_month_local,
        {{ to_local_timestamp('orders.ordered_at', 'markets.timezone') }} as ordered_at_local,
        orders.status,
        orders.currency,
        orders.total_amount
    from orders
    left join markets
        on orders.market_code = markets.market_code

),

final as (

    select
        localized.order_id,
        localized.customer_id,
        localized.market_code,
        localized.ordered_at,
        localized.ordered_at_local,
        cast(localized.ordered_at_local as date) as ordered_date_local,
        localized.status,
        localized.currency,
        localized.total_amount,
        localized.ordered_month_local,
        fx_rates.eur_per_unit,
        fx_rates.is_provisional as fx_is_provisional,
        fx_rates.published_month as fx_published_month,
        cast(localized.total_amount * fx_rates.eur_per_unit as {{ type_money() }}) as total_amount_eur
    from localized
    left join fx_rates
        on
            localized.currency = fx_rates.currency
            and localized.ordered_month_local = fx_rates.rate_month

)

select * from final
