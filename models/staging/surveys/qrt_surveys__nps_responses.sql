-- Quarantined rows of raw surveys/nps_responses: invalid latest versions and null-key rows (docs/contract.md).
{{ quarantined_rows('surveys', 'nps_responses') }}
