-- Accepted rows of raw shop/orders: the valid latest version per primary key (docs/contract.md).
{{ accepted_rows('shop', 'orders') }}
