-- The long KPI table BI tools read: one row per period grain, period start,
-- market, channel (incl. all) and KPI, with numerator, denominator, value, unit,
-- target and whether the target is met. Formulas: the KPI catalogue (docs/kpis.md).

with

measures as (

    select * from {{ ref('int_kpi__period_measures') }}

),

definitions as (

    select * from {{ ref('kpi_definitions') }}

),

targets as (

    select * from {{ ref('stg_reference__kpi_targets') }}

),

metric_rows as (

    {%- for kpi in kpi_catalog() %}
        select
            period_grain,
            period_start,
            market_code,
            channel,
            '{{ kpi.code }}' as kpi_code,
            {{ kpi.scale }} as value_scale,
            '{{ kpi.unit }}' as unit,
            cast({{ kpi_known_numerator(kpi) }} as {{ type_double() }}) as numerator,
            cast({{ kpi.denominator }} as {{ type_double() }}) as denominator
        from measures
        where
            channel in {{ sql_in_list(kpi.channels) }}
            and period_grain in {{ sql_in_list(kpi.grains) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

metric_values as (

    select
        *,
        {{ safe_divide('numerator', 'denominator', 'value_scale') }} as kpi_value
    from metric_rows

),

with_targets as (

    select
        metric_values.period_grain,
        metric_values.period_start,
        metric_values.market_code,
        metric_values.channel,
        metric_values.kpi_code,
        metric_values.numerator,
        metric_values.denominator,
        metric_values.kpi_value,
        metric_values.unit,
        targets.target_value,
        definitions.higher_is_better
    from metric_values
    left join definitions
        on metric_values.kpi_code = definitions.kpi_code
    left join targets
        on
            metric_values.market_code = targets.market_code
            and metric_values.kpi_code = targets.kpi_code

),

final as (

    select
        period_grain,
        period_start,
        market_code,
        channel,
        kpi_code,
        numerator,
        denominator,
        kpi_value as value,  -- noqa: RF04
        unit,
        target_value as target,  -- noqa: RF04
        case
            when kpi_value is null or target_value is null then null
            when higher_is_better then kpi_value >= target_value
            else kpi_value <= target_value
        end as meets_target
    from with_targets

)

select * from final
