{#-
    Convert a UTC timestamp (timestamp without time zone holding UTC wall time)
    into the wall-clock timestamp of the IANA time zone `tz` (a column or a quoted
    literal). Result: timestamp without time zone, DST-aware.
-#}
{% macro to_local_timestamp(ts_utc, tz) -%}
    {{ return(adapter.dispatch('to_local_timestamp', 'cskpi')(ts_utc, tz)) }}
{%- endmacro %}

{% macro default__to_local_timestamp(ts_utc, tz) -%}
    (({{ ts_utc }} at time zone 'UTC') at time zone {{ tz }})
{%- endmacro %}

{% macro duckdb__to_local_timestamp(ts_utc, tz) -%}
    timezone({{ tz }}, {{ ts_utc }} at time zone 'UTC')
{%- endmacro %}

{% macro postgres__to_local_timestamp(ts_utc, tz) -%}
    (({{ ts_utc }} at time zone 'UTC') at time zone {{ tz }})
{%- endmacro %}

{% macro spark__to_local_timestamp(ts_utc, tz) -%}
    from_utc_timestamp({{ ts_utc }}, {{ tz }})
{%- endmacro %}
