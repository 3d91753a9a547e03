-- Every raw row of helpdesk/satisfaction_ratings, typed, PII-hashed, version-ranked and validated
-- from the raw contract (docs/contract.md): stg_helpdesk__satisfaction_ratings keeps the accepted
-- winners, qrt_helpdesk__satisfaction_ratings the invalid winners and every null-key row.

{{ stage_source('helpdesk', 'satisfaction_ratings', raw_source('helpdesk', 'satisfaction_ratings')) }}
