-- Accepted rows of raw surveys/nps_responses: the valid latest version per primary key (docs/contract.md).
{{ accepted_rows('surveys', 'nps_responses') }}
