{#- utc_now(): the current time as a timestamp without time zone in UTC, whatever the session time zone. -#}
{% macro utc_now() -%}
    {{ return(adapter.dispatch('utc_now', 'cskpi')()) }}
{%- endmacro %}

{% macro default__utc_now() -%}
    (current_timestamp at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__utc_now() -%}
    timezone('UTC', current_timestamp)
{%- endmacro %}

{#- Spark timestamps are instants shown in the session time zone (spark.sql.session.timeZone: UTC). -#}
{% macro spark__utc_now() -%}
    current_timestamp()
{%- endmacro %}
