-- Quarantined rows of raw telephony/calls: winning versions that fail validation, and null-key rows.
-- A view: the base model is incremental, this filter costs nothing to refresh.
{{ config(materialized='view') }}

with

base as (

    select * from {{ ref('base_telephony__calls') }}

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
