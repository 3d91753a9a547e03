-- Reference markets: the shipped seed markets extended and overridden by key by the landed
-- reference/markets rows (absent: seed only). origin says which one a row comes from.

with

shipped as (

    select * from {{ ref('markets') }}

),

landed as (

    {{ landed_reference('markets') }}

),

shipped_kept as (

    select
        shipped.market_code,
        shipped.country,
        shipped.currency,
        shipped.timezone,
        shipped.language,
        shipped.launched_on,
        'shipped' as origin
    from shipped
    left join landed
        on
            shipped.market_code = landed.market_code
    where landed.market_code is null

),

landed_rows as (

    select
        landed.market_code,
        landed.country,
        landed.currency,
        landed.timezone,
        landed.language,
        landed.launched_on,
        'landed' as origin
    from landed

),

final as (

    select * from shipped_kept
    union all
    select * from landed_rows

)

select * from final
