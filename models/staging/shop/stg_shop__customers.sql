-- Accepted rows of raw shop/customers: the valid latest version per primary key (docs/contract.md).
{{ accepted_rows('shop', 'customers') }}
