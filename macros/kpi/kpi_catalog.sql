{#-
    kpi_catalog(): the KPIs of var('kpi_catalogue') (dbt_project.yml, documented in
    docs/kpis.md), each resolved against its unit: a list of dicts with code, name,
    formula, unit, scale, numerator, denominator, channels (list of channel values),
    grains, higher_is_better, bounds ([min, max], none = open), source and known_when (a
    predicate over the measures; where it is false the KPI's input is absent or unknown, so
    numerator and value are null: unknown is not zero; none = always measured). Used by
    kpi_definitions, kpi_metrics, kpi_daily, kpi_monthly and the KPI tests.
    cskpi/kpis.py resolves the same block the same way for Python.
-#}
{% macro kpi_catalog() -%}
    {%- set catalogue = checked_var('kpi_catalogue') -%}
    {%- set resolved = [] -%}
    {%- for kpi in catalogue.kpis -%}
        {%- set unit = catalogue.units[kpi.unit] -%}
        {%- do resolved.append({
            'code': kpi.code,
            'name': kpi.name,
            'formula': kpi.formula,
            'unit': kpi.unit,
            'scale': kpi.get('scale', unit.scale),
            'numerator': kpi.numerator,
            'denominator': kpi.denominator,
            'channels': catalogue.channels[kpi.channels],
            'grains': kpi.grains,
            'higher_is_better': kpi.higher_is_better,
            'bounds': kpi.get('bounds', unit.bounds),
            'source': kpi.source,
            'known_when': kpi.get('known_when'),
        }) -%}
    {%- endfor -%}
    {{ return(resolved) }}
{%- endmacro %}

{#- SQL list literal of quoted strings: ('a', 'b'). -#}
{% macro sql_in_list(values) -%}
    ({% for v in values %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{#-
    Wide KPI columns (<code>_numerator, <code>_denominator, <code>) for a model
    reading int_kpi__period_measures; null where the KPI does not apply to the
    row's channel.
-#}
{% macro kpi_wide_columns(grain) -%}
    {%- for kpi in kpi_catalog() if grain in kpi.grains %}
        case when channel in {{ sql_in_list(kpi.channels) }} then {{ kpi_known_numerator(kpi) }} end
            as {{ kpi.code }}_numerator,
        case when channel in {{ sql_in_list(kpi.channels) }} then {{ kpi.denominator }} end
            as {{ kpi.code }}_denominator,
        case
            when channel in {{ sql_in_list(kpi.channels) }}
                then {{ safe_divide(kpi_known_numerator(kpi), kpi.denominator, kpi.scale) }}
        end as {{ kpi.code }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#-
    kpi_known_numerator(kpi): the KPI's numerator expression, null where its known_when
    predicate is false (input absent or unknown), so the value is null too, never 0.
-#}
{% macro kpi_known_numerator(kpi) -%}
    {%- if kpi.known_when -%}
        (case when {{ kpi.known_when }} then {{ kpi.numerator }} end)
    {%- else -%}
        {{ kpi.numerator }}
    {%- endif -%}
{%- endmacro %}

{#-
    Expression mapping a date column to the start of its period for the
    period_grain column of a `grains` CTE (see kpi_grains_cte).
-#}
{% macro period_start_for_grain(date_column, grain_column='grains.period_grain') -%}
    case
        when {{ grain_column }} = 'day' then {{ date_column }}
        when {{ grain_column }} = 'week' then {{ iso_week_start(date_column) }}
        else {{ month_start(date_column) }}
    end
{%- endmacro %}

{#- Body of a CTE listing the period grains (day, week, month). -#}
{% macro kpi_grains_select(grains=['day', 'week', 'month']) -%}
    {%- for g in grains %}
    select '{{ g }}' as period_grain{% if not loop.last %}
    union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- Body of a CTE with one row per channel scope: the row's own channel and 'all'. -#}
{% macro channel_scopes_select() -%}
    select 'own' as channel_scope
    union all
    select 'all' as channel_scope
{%- endmacro %}

{#- Rows 0 .. upper_bound - 1 as column n (portable, no generate_series). -#}
{% macro integer_series(upper_bound) -%}
    {%- set digits = [] -%}
    {%- set ns = namespace(size=1) -%}
    {%- for i in range(6) if ns.size < upper_bound -%}
        {%- do digits.append(i) -%}
        {%- set ns.size = ns.size * 10 -%}
    {%- endfor -%}
    with digit as (
        {%- for d in range(10) %}
        select {{ d }} as d{% if not loop.last %} union all{% endif %}
        {%- endfor %}
    )

    select
        {% for i in digits %}d{{ i }}.d * {{ 10 ** i }}{% if not loop.last %} + {% endif %}{% endfor %} as n
    from {% for i in digits %}digit as d{{ i }}{% if not loop.last %}
    cross join {% endif %}{% endfor %}
{%- endmacro %}

{#- A catalogue text as a typed SQL string literal (quotes escaped per adapter). -#}
{% macro kpi_string_literal(text) -%}
    cast('{{ dbt.escape_single_quotes(text) }}' as {{ dbt.type_string() }})
{%- endmacro %}
