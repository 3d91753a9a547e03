-- One row per market (seed) with launch-month helper columns.

with

markets as (

    select * from {{ ref('stg_reference__markets') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

data_end as (

    select max(month_start) as last_data_month
    from calendar

),

final as (

    select
        markets.market_code,
        markets.country,
        markets.currency,
        markets.timezone,
        markets.language,
        markets.launched_on,
        {{ month_start('markets.launched_on') }} as launched_month_start,
        data_end.last_data_month,
        {{ dbt.datediff(month_start('markets.launched_on'), 'data_end.last_data_month', 'month') }}
            as months_since_launch_at_data_end
    from markets
    cross join data_end

)

select * from final
