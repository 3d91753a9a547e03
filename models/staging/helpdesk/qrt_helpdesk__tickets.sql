-- Quarantined rows of raw helpdesk/tickets: invalid latest versions and null-key rows (docs/contract.md).
-- A view: the base model is incremental, this filter costs nothing to refresh.
{{ config(materialized='view') }}
{{ quarantined_rows('helpdesk', 'tickets') }}
