{#-
    scale * numerator / denominator as a double; null (never an error) when the
    denominator is null or zero.
-#}
{% macro safe_divide(numerator, denominator, scale=1) -%}
    cast({{ scale }} as {{ type_double() }}) * cast({{ numerator }} as {{ type_double() }}) / nullif(cast({{ denominator }} as {{ type_double() }}), 0)
{%- endmacro %}
