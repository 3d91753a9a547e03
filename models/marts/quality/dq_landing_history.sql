-- One row per raw table and dbt invocation that built this model: whether the table was landed,
-- its rows and the newest _loaded_at of its accepted rows. Appended, never rebuilt (a full
-- refresh keeps the history), so dq_landing_freshness can compare a run with the one before.
{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}

{%- set tables = raw_contract()['tables'] %}

with

reconciliation as (

    select * from {{ ref('dq_table_reconciliation') }}

),

newest_loads as (

    {% for path, entry in tables.items() %}
        select
            '{{ path }}' as source_table,
            max(loaded_at) as newest_loaded_at
        from {{ ref(entry.staging_model) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        '{{ invocation_id }}' as invocation_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as checked_at,
        reconciliation.source_table,
        reconciliation.is_present,
        reconciliation.raw_rows,
        reconciliation.accepted_rows,
        newest_loads.newest_loaded_at
    from reconciliation
    inner join newest_loads on reconciliation.source_table = newest_loads.source_table

)

select * from final
