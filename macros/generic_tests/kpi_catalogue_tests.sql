{#-
    KPI tests driven by the catalogue (var('kpi_catalogue'), macro kpi_catalog). Each
    failing row carries a `message` naming the KPI, market, period, value and the rule.

    kpi_values_within_bounds(value_column='value', kpi_code_column='kpi_code',
                             period_columns=['period_grain', 'period_start'])
        Long KPI tables: every non-null value lies within its KPI's bounds.
    kpi_value_within_bounds(column_name, kpi_code=column_name, period_columns=['date_day'])
        Wide KPI tables: the KPI column lies within the bounds of kpi_code.
    kpi_rows_match_catalogue(kpi_code_column='kpi_code')
        Every kpi_code is in the catalogue, with the catalogue's unit, on a channel and
        period grain the catalogue reports it for (columns unit, channel, period_grain).
-#}

{#- Catalogue bounds as SQL: one row per KPI (kpi_code, min_value, max_value, bound_text). -#}
{% macro kpi_bounds_select() -%}
    {%- for kpi in kpi_catalog() %}
    select
        {{ kpi_string_literal(kpi.code) }} as kpi_code,
        cast({{ kpi.bounds[0] if kpi.bounds[0] is not none else 'null' }} as {{ type_double() }}) as min_value,
        cast({{ kpi.bounds[1] if kpi.bounds[1] is not none else 'null' }} as {{ type_double() }}) as max_value,
        {{ kpi_string_literal(kpi_bound_text(kpi.bounds)) }} as bound_text
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- "0..100", ">= 0" or "none" for a [min, max] pair. -#}
{% macro kpi_bound_text(bounds) -%}
    {%- if bounds[0] is not none and bounds[1] is not none -%}
        {{ return(bounds[0] ~ '..' ~ bounds[1]) }}
    {%- elif bounds[0] is not none -%}
        {{ return('>= ' ~ bounds[0]) }}
    {%- elif bounds[1] is not none -%}
        {{ return('<= ' ~ bounds[1]) }}
    {%- endif -%}
    {{ return('none') }}
{%- endmacro %}

{#- The failing rows of a bounds test over value_column, with the KPI code given by kpi_code_sql. -#}
{% macro kpi_bounds_failures(model, value_column, kpi_code_sql, period_columns, market_column) -%}

with

kpi_rows as (

    select * from {{ model }}

),

bounds as (

    {{ kpi_bounds_select() }}

),

checked as (

    select
        {{ kpi_code_sql }} as checked_kpi_code,
        {{ market_column }} as checked_market,
        {{ dbt.concat(kpi_period_parts(period_columns)) }} as checked_period,
        cast({{ value_column }} as {{ type_double() }}) as checked_value
    from kpi_rows
    where {{ value_column }} is not null

),

out_of_bounds as (

    select
        checked.checked_kpi_code as kpi_code,
        checked.checked_market as market_code,
        checked.checked_period as period,
        checked.checked_value as value,  -- noqa: RF04
        bounds.bound_text as bound
    from checked
    inner join bounds
        on checked.checked_kpi_code = bounds.kpi_code
    where
        checked.checked_value < bounds.min_value
        or checked.checked_value > bounds.max_value

),

final as (

    select
        kpi_code,
        market_code,
        period,
        value,  -- noqa: RF04
        bound,
        {{ dbt.concat([
            "'" ~ model.identifier ~ ": ' ",
            "kpi_code", "' in '", "market_code", "' for '", "period",
            "': value '", "cast(value as " ~ dbt.type_string() ~ ")",
            "' outside bounds '", "bound"
        ]) }} as message
    from out_of_bounds

)

select * from final

{%- endmacro %}

{#- Concat parts of the period columns as strings, space-separated. -#}
{% macro kpi_period_parts(period_columns) -%}
    {%- set parts = [] -%}
    {%- for column in period_columns -%}
        {%- if not loop.first %}{% do parts.append("' '") %}{% endif -%}
        {%- do parts.append('cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')') -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}

{% test kpi_values_within_bounds(
    model,
    value_column='value',
    kpi_code_column='kpi_code',
    period_columns=['period_grain', 'period_start'],
    market_column='market_code'
) %}
    {{ kpi_bounds_failures(model, value_column, kpi_code_column, period_columns, market_column) }}
{% endtest %}

{% test kpi_value_within_bounds(
    model,
    column_name,
    kpi_code=none,
    period_columns=['date_day'],
    market_column='market_code'
) %}
    {{ kpi_bounds_failures(
        model, column_name, kpi_string_literal(kpi_code or column_name), period_columns, market_column
    ) }}
{% endtest %}

{% test kpi_rows_match_catalogue(model, kpi_code_column='kpi_code') %}

with

kpi_rows as (

    select * from {{ model }}

),

checked as (

    select
        {{ kpi_code_column }} as kpi_code,
        market_code,
        {{ dbt.concat(kpi_period_parts(['period_grain', 'period_start', 'channel'])) }} as period,
        case
            {%- for kpi in kpi_catalog() %}
            when {{ kpi_code_column }} = '{{ kpi.code }}'
                then
                    case
                        when unit <> '{{ kpi.unit }}' then 'unit is not {{ kpi.unit }}'
                        when channel not in {{ sql_in_list(kpi.channels) }}
                            then 'channel not reported for this KPI'
                        when period_grain not in {{ sql_in_list(kpi.grains) }}
                            then 'period grain not reported for this KPI'
                    end
            {%- endfor %}
            else 'kpi_code not in the KPI catalogue'
        end as reason
    from kpi_rows

),

final as (

    select
        kpi_code,
        market_code,
        period,
        reason,
        {{ dbt.concat([
            "'" ~ model.identifier ~ ": '", "coalesce(kpi_code, 'null')", "' in '", "market_code",
            "' for '", "period", "': '", "reason"
        ]) }} as message
    from checked
    where reason is not null

)

select * from final

{% endtest %}
