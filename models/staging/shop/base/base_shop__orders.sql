-- Every raw row of shop/orders, typed, PII-hashed, version-ranked and validated from the raw
-- contract (docs/contract.md): stg_shop__orders keeps the accepted winners, qrt_shop__orders the
-- invalid winners and every null-key row.

{{ stage_source('shop', 'orders', raw_source('shop', 'orders')) }}
