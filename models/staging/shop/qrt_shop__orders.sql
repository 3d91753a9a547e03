-- Quarantined rows of raw shop/orders: invalid latest versions and null-key rows (docs/contract.md).
{{ quarantined_rows('shop', 'orders') }}
