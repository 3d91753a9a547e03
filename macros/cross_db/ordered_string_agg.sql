{#-
    ordered_string_agg(value, separator, order_by): the group's values joined with separator,
    sorted by the list of expressions order_by (ascending; negate a number to sort descending).
-#}
{% macro ordered_string_agg(value, separator, order_by) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'cskpi')(value, separator, order_by)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(value, separator, order_by) -%}
    string_agg({{ value }}, {{ separator }} order by {{ order_by | join(', ') }})
{%- endmacro %}

{#- Spark has no ordered aggregate: sort structs of (order keys..., value), then keep the values. -#}
{% macro spark__ordered_string_agg(value, separator, order_by) -%}
    {%- set fields = [] -%}
    {%- for expression in order_by -%}
        {%- do fields.append("'k" ~ loop.index ~ "', " ~ expression) -%}
    {%- endfor -%}
    array_join(
        transform(
            array_sort(collect_list(named_struct({{ fields | join(', ') }}, 'v', {{ value }}))),
            x -> x.v
        ),
        {{ separator }}
    )
{%- endmacro %}
