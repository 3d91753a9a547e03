-- Quarantined rows of raw shop/customers: invalid latest versions and null-key rows (docs/contract.md).
{{ quarantined_rows('shop', 'customers') }}
