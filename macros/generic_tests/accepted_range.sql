{#- accepted_range(min_value, max_value, inclusive=true): dbt_utils-compatible range test; nulls pass. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

with

validation as (

    select {{ column_name }} as value_to_check
    from {{ model }}
    where {{ column_name }} is not null

),

validation_errors as (

    select value_to_check
    from validation
    where
        1 = 2
        {%- if min_value is not none %}
            or not value_to_check {{ ">=" if inclusive else ">" }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
            or not value_to_check {{ "<=" if inclusive else "<" }} {{ max_value }}
        {%- endif %}

)

select * from validation_errors

{% endtest %}
