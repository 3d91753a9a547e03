-- Row accounting per raw table (docs/contract.md): raw_rows = accepted_rows + quarantined_rows + duplicate_rows.
-- Each count comes from a different relation: raw from the source (CSV landing files: from their
-- lines, macros/staging/csv_landing.sql), duplicates from the base model,
-- quarantined from the qrt model, accepted from the stg model. Tables: every raw table of the contract;
-- one absent from the landing folder / raw schema reads as empty (macros/staging/raw_source.sql): 0 = 0.

{%- set tables = raw_contract()['tables'] %}

with

raw_counts as (

    {% for path, entry in tables.items() %}
        select
            '{{ path }}' as source_table,
            {{ (raw_table_present(path.split('/')[0], path.split('/')[1]) if execute else true) | string | lower }}
                as is_present,
            {{ raw_row_count(path.split('/')[0], path.split('/')[1]) }} as raw_rows
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

duplicate_counts as (

    {% for path, entry in tables.items() %}
        select
            '{{ path }}' as source_table,
            count(*) as duplicate_rows
        from {{ ref(entry.base_model) }}
        where is_duplicate
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

quarantined_counts as (

    {% for path, entry in tables.items() %}
        select
            '{{ path }}' as source_table,
            count(*) as quarantined_rows
        from {{ ref('qrt_' ~ path.replace('/', '__')) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

accepted_counts as (

    {% for path, entry in tables.items() %}
        select
            '{{ path }}' as source_table,
            count(*) as accepted_rows
        from {{ ref(entry.staging_model) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        raw_counts.source_table,
        raw_counts.is_present,
        raw_counts.raw_rows,
        duplicate_counts.duplicate_rows,
        quarantined_counts.quarantined_rows,
        accepted_counts.accepted_rows,
        case
            when raw_counts.raw_rows = 0 then 0.0
            else round(100.0 * quarantined_counts.quarantined_rows / raw_counts.raw_rows, 2)
        end as quarantine_rate
    from raw_counts
    inner join duplicate_counts on raw_counts.source_table = duplicate_counts.source_table
    inner join quarantined_counts on raw_counts.source_table = quarantined_counts.source_table
    inner join accepted_counts on raw_counts.source_table = accepted_counts.source_table

)

select * from final
