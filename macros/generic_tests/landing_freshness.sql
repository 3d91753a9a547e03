{#-
    landed_tables_not_empty / landed_tables_not_stale: one failing row per raw table of
    dq_landing_freshness that was landed without rows, or whose newest accepted _loaded_at did not
    move since the previous run, with a message saying what to check. Meant as warnings.
-#}
{% test landed_tables_not_empty(model) %}

select
    source_table,
    {{ dbt.concat([
        "'raw table '", "source_table",
        "' was landed but has no rows: its KPIs are null; check the export that writes it'"
    ]) }} as message
from {{ model }}
where is_empty

{% endtest %}

{% test landed_tables_not_stale(model) %}

select
    source_table,
    {{ dbt.concat([
        "'raw table '", "source_table", "': newest _loaded_at '", as_text('newest_loaded_at'),
        "' has not moved since the run of '", as_text('previous_checked_at'),
        "'; check that its export still runs (a re-run of the same night is expected to warn)'"
    ]) }} as message
from {{ model }}
where is_stale

{% endtest %}
