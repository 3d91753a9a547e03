{#-
    Checks of the reference data (models/staging/reference, docs/contract.md "Reference data"):
    ERROR severity, one failing row per bad reference row with a `message` naming the table, the
    row's key and the bad value.
-#}

{#- reference_row_label(table, key_columns): SQL text "reference/<table> row k1=v1, k2=v2 (origin)". -#}
{% macro reference_row_label(table, key_columns) -%}
    {%- set parts = ["'reference/" ~ table ~ " row '"] -%}
    {%- for column in key_columns -%}
        {%- do parts.extend(["'" ~ (', ' if not loop.first else '') ~ column ~ "='", as_text(column)]) -%}
    {%- endfor -%}
    {%- do parts.extend(["' ('", as_text('origin'), "')'"]) -%}
    {{ return(dbt.concat(parts)) }}
{%- endmacro %}

{#- reference_keys_unique(key_columns, table): no two landed rows share a key. -#}
{% test reference_keys_unique(model, key_columns, table) %}

with

landed as (

    select * from {{ model }}
    where origin = 'landed'

),

duplicates as (

    select
        {{ key_columns | join(', ') }},
        'landed' as origin,
        count(*) as landed_rows
    from landed
    group by {{ key_columns | join(', ') }}
    having count(*) > 1

),

final as (

    select
        *,
        {{ dbt.concat([reference_row_label(table, key_columns), "': '", as_text('landed_rows'),
            "' landed rows have this key (keep one)'"]) }} as message
    from duplicates

)

select * from final

{% endtest %}

{#- reference_code_known(column_name, codes_model, code_column, key_columns, table, code_list):
    a set value of the column is a code of codes_model (an ISO list seed). -#}
{% test reference_code_known(model, column_name, codes_model, code_column, key_columns, table, code_list) %}

with

rows_checked as (

    select * from {{ model }}
    where {{ column_name }} is not null

),

codes as (

    select {{ code_column }} as known_code from {{ codes_model }}

),

unknown as (

    select rows_checked.*
    from rows_checked
    left join codes on rows_checked.{{ column_name }} = codes.known_code
    where codes.known_code is null

),

final as (

    select
        *,
        {{ dbt.concat([reference_row_label(table, key_columns), "': " ~ column_name ~ " '''", as_text(column_name),
            "''' is not " ~ code_list ~ "'"]) }} as message
    from unknown

)

select * from final

{% endtest %}

{#- reference_time_zone_known(column_name, key_columns, table): the zone is one the database knows
    (known_time_zones(): DuckDB/PostgreSQL pg_timezone_names, Spark the shipped IANA list). -#}
{% test reference_time_zone_known(model, column_name, key_columns, table) %}
-- depends_on: {{ ref('iana_time_zones') }}

with

rows_checked as (

    select * from {{ model }}

),

zones as (

    {{ known_time_zones() }}

),

unknown as (

    select rows_checked.*
    from rows_checked
    left join zones on rows_checked.{{ column_name }} = zones.time_zone
    where zones.time_zone is null

),

final as (

    select
        *,
        {{ dbt.concat([reference_row_label(table, key_columns), "': time zone '''", as_text(column_name),
            "''' is not an IANA time zone the database knows'"]) }} as message
    from unknown

)

select * from final

{% endtest %}
