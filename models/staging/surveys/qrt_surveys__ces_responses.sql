-- Quarantined rows of raw surveys/ces_responses: invalid latest versions and null-key rows (docs/contract.md).
{{ quarantined_rows('surveys', 'ces_responses') }}
