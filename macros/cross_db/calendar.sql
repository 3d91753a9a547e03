{#- Monday of the ISO week of a date or timestamp, as a date. -#}
{% macro iso_week_start(expr) -%}
    {{ return(adapter.dispatch('iso_week_start', 'cskpi')(expr)) }}
{%- endmacro %}

{% macro default__iso_week_start(expr) -%}
    cast({{ dbt.date_trunc('week', expr) }} as date)
{%- endmacro %}

{% macro spark__iso_week_start(expr) -%}
    cast(date_trunc('week', {{ expr }}) as date)
{%- endmacro %}

{#- First day of the calendar month of a date or timestamp, as a date. -#}
{% macro month_start(expr) -%}
    {{ return(adapter.dispatch('month_start', 'cskpi')(expr)) }}
{%- endmacro %}

{% macro default__month_start(expr) -%}
    cast({{ dbt.date_trunc('month', expr) }} as date)
{%- endmacro %}

{% macro spark__month_start(expr) -%}
    cast(date_trunc('month', {{ expr }}) as date)
{%- endmacro %}

{#- Double-precision floating point type name. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'cskpi')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double precision{%- endmacro %}

{% macro duckdb__type_double() -%}double{%- endmacro %}

{% macro spark__type_double() -%}double{%- endmacro %}

{#- Exact type of EUR amounts that are summed: a float sum depends on the order the rows arrive
    in (threads, file order), so identical input could give different marts. decimal(28, 10) is
    exact (10 decimals keep the rounding far below a cent), and the same type name on DuckDB,
    PostgreSQL and Spark. -#}
{% macro type_money() -%}decimal(28, 10){%- endmacro %}
