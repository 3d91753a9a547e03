-- Every raw row of surveys/ces_responses, typed, PII-hashed, version-ranked and validated from the
-- raw contract (docs/contract.md): stg_surveys__ces_responses keeps the accepted winners,
-- qrt_surveys__ces_responses the invalid winners and every null-key row.

{{ stage_source('surveys', 'ces_responses', raw_source('surveys', 'ces_responses')) }}
