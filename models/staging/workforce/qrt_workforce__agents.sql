-- Quarantined rows of raw workforce/agents: invalid latest versions and null-key rows (docs/contract.md).
{{ quarantined_rows('workforce', 'agents') }}
