{#-
    hash_pii(column)
    Salted SHA-256 (hex) of a PII column, sha256(salt || value); null stays null. The salt
    (env CSKPI_PII_SALT, cskpi/pii.py) is read inside the database session, never pasted into
    the SQL, so it stays out of target/ and the dbt logs. Adapter-specific via dispatch.
-#}
{% macro hash_pii(column) -%}
    {{ return(adapter.dispatch('hash_pii', 'cskpi')(column)) }}
{%- endmacro %}

{#- pii_salt_sql(): a SQL expression for the salt of this session (fails when it is not set). -#}
{% macro pii_salt_sql() -%}
    {{ return(adapter.dispatch('pii_salt_sql', 'cskpi')()) }}
{%- endmacro %}

{% macro default__pii_salt_sql() -%}
    {{ exceptions.raise_compiler_error(
        "hash_pii: no session salt for the " ~ target.type ~ " adapter; add a " ~ target.type
        ~ "__pii_salt_sql() macro (macros/staging/hash_pii.sql) that reads CSKPI_PII_SALT in the session"
    ) }}
{%- endmacro %}

{#- the variable the dbt-duckdb plugin cskpi.duckdb_plugin (profiles.yml) sets on every cursor -#}
{% macro duckdb__pii_salt_sql() -%}
    coalesce(getvariable('cskpi_pii_salt'), error(
        'hash_pii: session variable cskpi_pii_salt is not set; add plugin cskpi.duckdb_plugin to the dbt profile'
    ))
{%- endmacro %}

{#- set at connect time by PGOPTIONS (cskpi build / cskpi run set it from CSKPI_PII_SALT) -#}
{% macro postgres__pii_salt_sql() -%}
    current_setting('cskpi.pii_salt')
{%- endmacro %}

{#- the session conf of profiles.yml, substituted by Spark when it parses the statement; an unset
    conf becomes '' (or stays the literal ${...} with substitution off), which the test catches -#}
{% macro spark__pii_salt_sql() -%}
    case
        when '${spark.cskpi.pii_salt}' in ('', concat('$', '{spark.cskpi.pii_salt}'))
            then raise_error('hash_pii: spark.cskpi.pii_salt is not set in the dbt profile (server_side_parameters)')
        else '${spark.cskpi.pii_salt}'
    end
{%- endmacro %}

{% macro default__hash_pii(column) -%}
    case when {{ column }} is null then null else {{
        dbt.hash(dbt.concat([pii_salt_sql(), dbt.safe_cast(column, dbt.type_string()) | trim])) | trim
    }} end
{%- endmacro %}

{% macro duckdb__hash_pii(column) -%}
    case when {{ column }} is null then null else sha256({{ pii_salt_sql() }} || cast({{ column }} as varchar)) end
{%- endmacro %}

{% macro postgres__hash_pii(column) -%}
    case when {{ column }} is null then null else encode(sha256(convert_to(
        {{ pii_salt_sql() }} || cast({{ column }} as text), 'UTF8'
    )), 'hex') end
{%- endmacro %}

{% macro spark__hash_pii(column) -%}
    case when {{ column }} is null then null else sha2(concat({{ pii_salt_sql() }}, cast({{ column }} as string)), 256) end
{%- endmacro %}
