-- Quarantined rows of raw helpdesk/ticket_events: invalid latest versions and null-key rows (docs/contract.md).
-- A view: the base model is incremental, this filter costs nothing to refresh.
{{ config(materialized='view') }}
{{ quarantined_rows('helpdesk', 'ticket_events') }}
