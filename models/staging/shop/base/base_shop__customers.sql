-- Every raw row of shop/customers, typed, PII-hashed, version-ranked and validated from the raw
-- contract (docs/contract.md): stg_shop__customers keeps the accepted winners, qrt_shop__customers
-- the invalid winners and every null-key row.

{{ stage_source('shop', 'customers', raw_source('shop', 'customers')) }}
