-- Accepted rows of raw workforce/agents: the valid latest version per primary key (docs/contract.md).
{{ accepted_rows('workforce', 'agents') }}
