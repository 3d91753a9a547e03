{#-
    dbt.dateadd on Spark, exact: dbt-spark 1.11's spark__dateadd goes through
    to_unix_timestamp (whole seconds), so it drops fractional seconds and wraps every call in
    assert_true. Spark >= 3.3 has timestampadd(unit, quantity, ts), which keeps microseconds and
    follows the same calendar rules as DuckDB/PostgreSQL intervals (end-of-month clamping for
    months). Input may be a date or a timestamp; the result is a timestamp, as on the other adapters.
    Root-project override of the `dbt` dispatch (used by is_future, FCR window, churn, dim_date).
-#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- set units = {
        'microsecond': 'MICROSECOND', 'millisecond': 'MILLISECOND', 'second': 'SECOND',
        'minute': 'MINUTE', 'hour': 'HOUR', 'day': 'DAY', 'week': 'WEEK',
        'month': 'MONTH', 'quarter': 'QUARTER', 'year': 'YEAR'
    } -%}
    {%- set unit = units.get(datepart | lower) -%}
    {%- if unit is none -%}
        {{ exceptions.raise_compiler_error("dateadd: unsupported datepart '" ~ datepart ~ "' on Spark") }}
    {%- endif -%}
    timestampadd({{ unit }}, cast({{ interval }} as bigint), cast({{ from_date_or_timestamp }} as timestamp))
{%- endmacro %}
