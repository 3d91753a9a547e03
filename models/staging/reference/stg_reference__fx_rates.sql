-- Reference fx_rates: the shipped seed fx_rates_monthly extended and overridden by key by the landed
-- reference/fx_rates rows (absent: seed only). origin says which one a row comes from.

with

shipped as (

    select * from {{ ref('fx_rates_monthly') }}

),

landed as (

    {{ landed_reference('fx_rates') }}

),

shipped_kept as (

    select
        shipped.rate_month,
        shipped.currency,
        shipped.eur_per_unit,
        'shipped' as origin
    from shipped
    left join landed
        on
            shipped.rate_month = landed.rate_month
            and shipped.currency = landed.currency
    where landed.rate_month is null

),

landed_rows as (

    select
        landed.rate_month,
        landed.currency,
        -- the seed's type, so landed and shipped rates convert alike
        cast(landed.eur_per_unit as decimal(20, 12)) as eur_per_unit,
        'landed' as origin
    from landed

),

final as (

    select * from shipped_kept
    union all
    select * from landed_rows

)

select * from final
