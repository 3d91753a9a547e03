-- Accepted rows of raw helpdesk/ticket_events: the valid latest version per primary key (docs/contract.md).
-- A view: the base model is incremental, this filter costs nothing to refresh.
{{ config(materialized='view') }}
{{ accepted_rows('helpdesk', 'ticket_events') }}
