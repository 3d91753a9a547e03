{#- Row-local expressions of the staging macros (stage_source.sql). -#}

{#- row_key(columns): primary key as text, composite parts joined with '|'; null if any part is null. -#}
{% macro row_key(columns) -%}
    {%- if columns | length == 1 -%}
        {{ dbt.safe_cast(columns[0], dbt.type_string()) | trim }}
    {%- else -%}
        case when {{ columns | join(' is null or ') }} is null then null else {{
            dbt.concat(join_with_pipe(columns)) | trim
        }} end
    {%- endif -%}
{%- endmacro %}

{% macro join_with_pipe(columns) -%}
    {%- set parts = [] -%}
    {%- for c in columns -%}
        {%- do parts.append(dbt.safe_cast(c, dbt.type_string()) | trim) -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}

{#- is_future(column): timestamp more than var('future_tolerance_minutes') after the row's own _loaded_at. -#}
{% macro is_future(column, loaded_at='loaded_at') -%}
    {{ column }} > {{ dbt.dateadd('minute', var('future_tolerance_minutes', 5), loaded_at) | trim }}
{%- endmacro %}

{#- not_accepted(column, values): true when the column is set and not one of the accepted values. -#}
{% macro not_accepted(column, values) -%}
    ({{ column }} is not null and {{ column }} not in (
        {%- for v in values %}'{{ v }}'{{ ", " if not loop.last }}{% endfor -%}
    ))
{%- endmacro %}

{#- cast_failed(raw, typed): a non-null raw value that could not be cast to the contract type. -#}
{% macro cast_failed(raw, typed) -%}
    ({{ raw }} is not null and {{ typed }} is null)
{%- endmacro %}
