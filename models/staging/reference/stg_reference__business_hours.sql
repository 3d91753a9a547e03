-- Weekly opening intervals: the shipped seed business_hours, where the landed
-- reference/business_hours rows replace every shipped row of the same market, channel and
-- valid_from (a landed schedule is a whole week, so a shipped interval cannot survive it).
-- Channel empty or null is 'all'. Times as seconds after the local midnight of the opening day;
-- a close at or before the opening is the next day (overnight), 24:00 is midnight.

with

shipped as (

    select * from {{ ref('business_hours') }}

),

landed as (

    {{ landed_reference('business_hours') }}

),

landed_rows as (

    select
        landed.market_code,
        coalesce(nullif(lower(trim(landed.channel)), ''), 'all') as channel,
        landed.iso_weekday,
        landed.opens_at,
        landed.closes_at,
        landed.valid_from,
        'landed' as origin
    from landed

),

landed_schedules as (

    select distinct
        market_code,
        channel,
        valid_from
    from landed_rows

),

shipped_kept as (

    select
        shipped.market_code,
        shipped.channel,
        shipped.iso_weekday,
        shipped.opens_at,
        shipped.closes_at,
        shipped.valid_from,
        'shipped' as origin
    from shipped
    left join landed_schedules
        on
            shipped.market_code = landed_schedules.market_code
            and shipped.channel = landed_schedules.channel
            and shipped.valid_from = landed_schedules.valid_from
    where landed_schedules.market_code is null

),

unioned as (

    select * from shipped_kept
    union all
    select * from landed_rows

),

final as (

    select
        market_code,
        channel,
        iso_weekday,
        opens_at,
        closes_at,
        valid_from,
        origin,
        {{ clock_seconds('opens_at') }} as opens_at_seconds,
        case
            when {{ clock_seconds('closes_at') }} <= {{ clock_seconds('opens_at') }}
                then {{ clock_seconds('closes_at') }} + 86400
            else {{ clock_seconds('closes_at') }}
        end as closes_at_seconds
    from unioned

)

select * from final
