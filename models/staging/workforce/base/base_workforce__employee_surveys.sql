-- Every raw row of workforce/employee_surveys, typed, PII-hashed, version-ranked and validated from
-- the raw contract (docs/contract.md): stg_workforce__employee_surveys keeps the accepted winners,
-- qrt_workforce__employee_surveys the invalid winners and every null-key row.

{{ stage_source('workforce', 'employee_surveys', raw_source('workforce', 'employee_surveys')) }}
