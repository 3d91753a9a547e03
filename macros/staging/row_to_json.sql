{#-
    row_to_json(columns)
    columns: a dict {output_name: sql_expression} (insertion ordered) or a list of column names.
    Returns the row as JSON text (varchar), used for the raw_row of quarantine models; laid out
    for a select list item (stage_source).
-#}
{% macro row_to_json(columns) -%}
    {%- if columns is mapping -%}
        {%- set pairs = columns -%}
    {%- else -%}
        {%- set pairs = {} -%}
        {%- for c in columns -%}{%- do pairs.update({c: c}) -%}{%- endfor -%}
    {%- endif -%}
    {{ return(adapter.dispatch('row_to_json', 'cskpi')(pairs)) }}
{%- endmacro %}

{% macro default__row_to_json(pairs) -%}
    cast(json_build_object(
        {%- for name, expr in pairs.items() %}
            '{{ name }}', {{ expr }}{{ "," if not loop.last }}
        {%- endfor %}
        ) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro duckdb__row_to_json(pairs) -%}
    cast(to_json(struct_pack(
        {%- for name, expr in pairs.items() %}
            "{{ name }}" := {{ expr }}{{ "," if not loop.last }}
        {%- endfor %}
        )) as varchar)
{%- endmacro %}

{#- Spark: keep null fields and write timestamps/dates like DuckDB's to_json (same raw_row text). -#}
{% macro spark__row_to_json(pairs) -%}
    to_json(named_struct(
        {%- for name, expr in pairs.items() %}
            '{{ name }}', {{ expr }}{{ "," if not loop.last }}
        {%- endfor %}
        ), map('ignoreNullFields', 'false', 'timestampFormat', 'yyyy-MM-dd HH:mm:ss', 'dateFormat', 'yyyy-MM-dd'))
{%- endmacro %}
