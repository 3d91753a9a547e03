{#-
    rows_reconcile_with_staging(): on dq_table_reconciliation. Per raw table of the contract
    (raw_contract(), docs/contract.md) one failing row with a message when
    - raw_rows != accepted_rows + quarantined_rows + duplicate_rows (rows lost or counted twice),
    - accepted_rows differs from a fresh count of the table's stg_ model, or
    - the table is missing from the model.
-#}
{% test rows_reconcile_with_staging(model) %}

{%- set tables = raw_contract()['tables'] %}

with

reconciliation as (

    select
        source_table,
        raw_rows,
        accepted_rows,
        quarantined_rows,
        duplicate_rows
    from {{ model }}

),

staging_counts as (

    {% for path, entry in tables.items() %}
        select
            '{{ path }}' as source_table,
            '{{ entry.staging_model }}' as staging_model,
            count(*) as staging_rows
        from {{ ref(entry.staging_model) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

unbalanced as (

    select
        source_table,
        {{ dbt.concat([
            "source_table", "': raw_rows '", as_text('raw_rows'),
            "' != accepted '", as_text('accepted_rows'),
            "' + quarantined '", as_text('quarantined_rows'),
            "' + duplicates '", as_text('duplicate_rows'),
            "' (off by '", as_text('raw_rows - accepted_rows - quarantined_rows - duplicate_rows'), "')'"
        ]) }} as message
    from reconciliation
    where
        raw_rows is null
        or accepted_rows is null
        or quarantined_rows is null
        or duplicate_rows is null
        or raw_rows != accepted_rows + quarantined_rows + duplicate_rows

),

staging_mismatches as (

    select
        staging_counts.source_table,
        {{ dbt.concat([
            "staging_counts.source_table", "': accepted_rows '", as_text('reconciliation.accepted_rows'),
            "' != '", "staging_counts.staging_model", "' rows '", as_text('staging_counts.staging_rows')
        ]) }} as message
    from staging_counts
    inner join reconciliation
        on staging_counts.source_table = reconciliation.source_table
    where reconciliation.accepted_rows != staging_counts.staging_rows

),

missing as (

    select
        staging_counts.source_table,
        {{ dbt.concat(["staging_counts.source_table", "': missing from " ~ model.identifier ~ "'"]) }} as message
    from staging_counts
    left join reconciliation
        on staging_counts.source_table = reconciliation.source_table
    where reconciliation.source_table is null

),

final as (

    select * from unbalanced
    union all
    select * from staging_mismatches
    union all
    select * from missing

)

select * from final

{% endtest %}
