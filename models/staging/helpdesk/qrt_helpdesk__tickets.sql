-- Quarantined rows of raw helpdesk/tickets: winning versions that fail validation, and null-key rows.
-- A view: the base model is incremental, this filter costs nothing to refresh.
{{ config(materialized='view') }}

with

base as (

    select * from {{ ref('base_helpdesk__tickets') }}

),

quarantined as (

    select
        source_table,
        row_key,
        quarantine_reason as reason,
        loaded_at,
        raw_row
    from base
    where
        not is_duplicate
        and quarantine_reason is not null

),

final as (

    select * from quarantined

)

select * from final
