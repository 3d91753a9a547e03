-- Quarantined rows of raw finance/operating_costs: invalid latest versions and null-key rows (docs/contract.md).
{{ quarantined_rows('finance', 'operating_costs') }}
