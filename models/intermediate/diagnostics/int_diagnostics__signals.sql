-- Every value a diagnostic rule can test, in one long table per ISO week and
-- month, market and channel: the KPIs of kpi_metrics (with target and
-- meets_target) plus market facts (months_since_launch) and contact-mix shares
-- (order_status_delivery_share) and the contact volume (contacts). Rule
-- conditions refer to signal_code.

with

metrics as (

    select * from {{ ref('kpi_metrics') }}
    where period_grain in ('week', 'month')

),

definitions as (

    select * from {{ ref('kpi_definitions') }}

),

markets as (

    select * from {{ ref('dim_markets') }}

),

contact_mix as (

    select * from {{ ref('int_diagnostics__contact_mix') }}

),

periods as (

    select distinct
        period_grain,
        period_start,
        market_code
    from metrics

),

kpi_signals as (

    select
        metrics.period_grain,
        metrics.period_start,
        metrics.market_code,
        metrics.channel,
        metrics.kpi_code as signal_code,
        'kpi' as signal_source,
        metrics.value as signal_value,
        metrics.unit,
        cast(metrics.target as {{ type_double() }}) as target_value,
        metrics.meets_target,
        definitions.higher_is_better
    from metrics
    left join definitions
        on metrics.kpi_code = definitions.kpi_code

),

launch_signals as (

    select
        periods.period_grain,
        periods.period_start,
        periods.market_code,
        'all' as channel,
        'months_since_launch' as signal_code,
        'market_fact' as signal_source,
        cast(
            {{ dbt.datediff(
                month_start('markets.launched_on'),
                month_start('periods.period_start'),
                'month'
            ) }} as {{ type_double() }}
        ) as signal_value,
        'months' as unit,
        cast(null as {{ type_double() }}) as target_value,
        cast(null as {{ dbt.type_boolean() }}) as meets_target,
        cast(null as {{ dbt.type_boolean() }}) as higher_is_better
    from periods
    inner join markets
        on periods.market_code = markets.market_code
    where markets.launched_on is not null

),

mix_signals as (

    select
        periods.period_grain,
        periods.period_start,
        periods.market_code,
        'all' as channel,
        'order_status_delivery_share' as signal_code,
        'contact_mix' as signal_source,
        {{ safe_divide('contact_mix.contacts_order_status_delivery', 'contact_mix.contacts', 100) }}
            as signal_value,
        'percent' as unit,
        cast(null as {{ type_double() }}) as target_value,
        cast(null as {{ dbt.type_boolean() }}) as meets_target,
        cast(null as {{ dbt.type_boolean() }}) as higher_is_better
    from periods
    inner join contact_mix
        on
            periods.period_grain = contact_mix.period_grain
            and periods.period_start = contact_mix.period_start
            and periods.market_code = contact_mix.market_code

),

volume_signals as (

    select
        periods.period_grain,
        periods.period_start,
        periods.market_code,
        'all' as channel,
        'contacts' as signal_code,
        'contact_mix' as signal_source,
        cast(contact_mix.contacts as {{ type_double() }}) as signal_value,
        'count' as unit,
        cast(null as {{ type_double() }}) as target_value,
        cast(null as {{ dbt.type_boolean() }}) as meets_target,
        cast(null as {{ dbt.type_boolean() }}) as higher_is_better
    from periods
    inner join contact_mix
        on
            periods.period_grain = contact_mix.period_grain
            and periods.period_start = contact_mix.period_start
            and periods.market_code = contact_mix.market_code

),

final as (

    select * from kpi_signals
    union all
    select * from launch_signals
    union all
    select * from mix_signals
    union all
    select * from volume_signals

)

select * from final
