-- The KPI catalogue as a table, one row per KPI, built from var('kpi_catalogue')
-- (macro kpi_catalog; docs/kpis.md). Published with the marts, so readers (the
-- dashboard, BI tools) take names, units and formulas from the warehouse.

with

catalogue as (

    {%- for kpi in kpi_catalog() %}
        select
            {{ kpi_string_literal(kpi.code) }} as kpi_code,
            {{ kpi_string_literal(kpi.name) }} as kpi_name,
            {{ kpi_string_literal(kpi.formula) }} as formula,
            {{ kpi_string_literal(kpi.unit) }} as unit,
            {{ 'true' if kpi.higher_is_better else 'false' }} as higher_is_better,
            {{ kpi_string_literal(kpi.source | join('|')) }} as source_article,
            {{ kpi_string_literal(kpi.grains | join('|')) }} as grains
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

final as (

    select
        kpi_code,
        kpi_name,
        formula,
        unit,
        higher_is_better,
        source_article,
        grains
    from catalogue

)

select * from final
