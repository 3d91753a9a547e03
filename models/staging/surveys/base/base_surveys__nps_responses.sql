-- Every raw row of surveys/nps_responses, typed, PII-hashed, version-ranked and validated from the
-- raw contract (docs/contract.md): stg_surveys__nps_responses keeps the accepted winners,
-- qrt_surveys__nps_responses the invalid winners and every null-key row.

{{ stage_source('surveys', 'nps_responses', raw_source('surveys', 'nps_responses')) }}
