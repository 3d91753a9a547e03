{#- as_text(expression): the expression as a string ('null' for null), for the message column of the data checks. -#}
{% macro as_text(expression) -%}
    coalesce(cast({{ expression }} as {{ dbt.type_string() }}), 'null')
{%- endmacro %}
