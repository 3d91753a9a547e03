-- Accepted rows of raw finance/operating_costs: the valid latest version per primary key (docs/contract.md).
{{ accepted_rows('finance', 'operating_costs') }}
