{#-
    equal_sum(total, parts): every row has total = sum of the parts (columns or expressions).
    Used by dq_table_reconciliation: raw_rows = accepted_rows + quarantined_rows + duplicate_rows.
-#}
{% test equal_sum(model, total, parts) %}

select *
from {{ model }}
where
    {{ total }} is null
    or {{ total }} != {% for p in parts %}coalesce({{ p }}, 0){{ " + " if not loop.last }}{% endfor %}

{% endtest %}
