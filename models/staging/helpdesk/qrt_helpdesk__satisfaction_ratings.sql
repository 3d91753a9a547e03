-- Quarantined rows of raw helpdesk/satisfaction_ratings: invalid latest versions and null-key rows (docs/contract.md).
{{ quarantined_rows('helpdesk', 'satisfaction_ratings') }}
