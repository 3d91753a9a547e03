-- Accepted rows of raw surveys/ces_responses: the valid latest version per primary key (docs/contract.md).
{{ accepted_rows('surveys', 'ces_responses') }}
