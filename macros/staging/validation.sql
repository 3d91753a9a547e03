{#- Row-local validation helpers used by the base_* staging models. -#}

{#- row_key(columns): primary key as text, composite parts joined with '|'; null if any part is null. -#}
{% macro row_key(columns) -%}
    {%- if columns | length == 1 -%}
        {{ dbt.safe_cast(columns[0], dbt.type_string()) }}
    {%- else -%}
        case
            when {% for c in columns %}{{ c }} is null{{ " or " if not loop.last }}{% endfor %} then null
            else {{ dbt.concat(join_with_pipe(columns)) }}
        end
    {%- endif -%}
{%- endmacro %}

{% macro join_with_pipe(columns) -%}
    {%- set parts = [] -%}
    {%- for c in columns -%}
        {%- do parts.append(dbt.safe_cast(c, dbt.type_string())) -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}

{#- is_future(column): timestamp more than var('future_tolerance_minutes') after the row's own _loaded_at. -#}
{% macro is_future(column, loaded_at='loaded_at') -%}
    {{ column }} > {{ dbt.dateadd('minute', var('future_tolerance_minutes', 5), loaded_at) }}
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

{#- type_float64(): 8-byte floating point type name on every adapter. -#}
{% macro type_float64() -%}
    {{ return(adapter.dispatch('type_float64', 'cskpi')()) }}
{%- endmacro %}

{% macro default__type_float64() -%}double precision{%- endmacro %}

{% macro duckdb__type_float64() -%}double{%- endmacro %}

{% macro spark__type_float64() -%}double{%- endmacro %}
