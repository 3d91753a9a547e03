-- Days a market is closed: the shipped seed public_holidays (the country's public holidays)
-- extended and overridden by market and date by the landed reference/holidays rows. A landed
-- row with is_closed = false reopens a shipped holiday; is_closed empty means closed.

with

shipped as (

    select * from {{ ref('public_holidays') }}

),

landed as (

    {{ landed_reference('holidays') }}

),

shipped_kept as (

    select
        shipped.market_code,
        shipped.holiday_date,
        shipped.name,
        shipped.is_closed,
        'shipped' as origin
    from shipped
    left join landed
        on
            shipped.market_code = landed.market_code
            and shipped.holiday_date = landed.holiday_date
    where landed.market_code is null

),

landed_rows as (

    select
        landed.market_code,
        landed.holiday_date,
        landed.name,
        coalesce(landed.is_closed, true) as is_closed,
        'landed' as origin
    from landed

),

final as (

    select * from shipped_kept
    union all
    select * from landed_rows

)

select * from final
