-- Every raw row of workforce/agents, typed, PII-hashed, version-ranked and validated from the raw
-- contract (docs/contract.md): stg_workforce__agents keeps the accepted winners,
-- qrt_workforce__agents the invalid winners and every null-key row.

{{ stage_source('workforce', 'agents', raw_source('workforce', 'agents')) }}
