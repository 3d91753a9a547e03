{#- unique_combination_of_columns(combination_of_columns, quote_columns=false): dbt_utils-compatible. -#}
{% test unique_combination_of_columns(model, combination_of_columns, quote_columns=false) %}

{%- set columns = [] -%}
{%- for c in combination_of_columns -%}
    {%- do columns.append(adapter.quote(c) if quote_columns else c) -%}
{%- endfor -%}
{%- set column_list = columns | join(', ') %}

with

validation_errors as (

    select
        {{ column_list }},
        count(*) as n_rows
    from {{ model }}
    group by {{ column_list }}
    having count(*) > 1

)

select * from validation_errors

{% endtest %}
