-- Reference kpi_targets: the shipped seed kpi_targets extended and overridden by key by the landed
-- reference/kpi_targets rows (absent: seed only). origin says which one a row comes from.

with

shipped as (

    select * from {{ ref('kpi_targets') }}

),

landed as (

    {{ landed_reference('kpi_targets') }}

),

shipped_kept as (

    select
        shipped.market_code,
        shipped.kpi_code,
        shipped.target_value,
        'shipped' as origin
    from shipped
    left join landed
        on
            shipped.market_code = landed.market_code
            and shipped.kpi_code = landed.kpi_code
    where landed.market_code is null

),

landed_rows as (

    select
        landed.market_code,
        landed.kpi_code,
        cast(landed.target_value as decimal(18, 4)) as target_value,
        'landed' as origin
    from landed

),

final as (

    select * from shipped_kept
    union all
    select * from landed_rows

)

select * from final
