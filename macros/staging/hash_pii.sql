{#-
    hash_pii(column)
    Salted SHA-256 (hex) of a PII column; null stays null. Salt from env CSKPI_PII_SALT
    (demo default 'cskpi-demo-salt', documented in the README). Adapter-specific via dispatch.
-#}
{% macro hash_pii(column) -%}
    {{ return(adapter.dispatch('hash_pii', 'cskpi')(column)) }}
{%- endmacro %}

{% macro pii_salt() -%}
    {{ return(env_var('CSKPI_PII_SALT', 'cskpi-demo-salt') | replace("'", "''")) }}
{%- endmacro %}

{% macro default__hash_pii(column) -%}
    case when {{ column }} is null then null else {{
        dbt.hash(dbt.concat(["'" ~ pii_salt() ~ "'", dbt.safe_cast(column, dbt.type_string()) | trim])) | trim
    }} end
{%- endmacro %}

{% macro duckdb__hash_pii(column) -%}
    case when {{ column }} is null then null else sha256('{{ pii_salt() }}' || cast({{ column }} as varchar)) end
{%- endmacro %}

{% macro postgres__hash_pii(column) -%}
    case when {{ column }} is null then null else encode(sha256(convert_to(
        '{{ pii_salt() }}' || cast({{ column }} as text), 'UTF8'
    )), 'hex') end
{%- endmacro %}

{% macro spark__hash_pii(column) -%}
    case when {{ column }} is null then null else sha2(concat('{{ pii_salt() }}', cast({{ column }} as string)), 256) end
{%- endmacro %}
