-- Accepted rows of raw helpdesk/satisfaction_ratings: the valid latest version per primary key (docs/contract.md).
{{ accepted_rows('helpdesk', 'satisfaction_ratings') }}
