-- Every raw row of finance/operating_costs, typed, PII-hashed, version-ranked and validated from
-- the raw contract (docs/contract.md): stg_finance__operating_costs keeps the accepted winners,
-- qrt_finance__operating_costs the invalid winners and every null-key row.

{{ stage_source('finance', 'operating_costs', raw_source('finance', 'operating_costs')) }}
