{{ config(materialized='table') }}

-- Typed, PII-hashed, version-ranked and validated rows of raw finance/operating_costs.
-- One row per raw row: stg_finance__operating_costs keeps the accepted winners,
-- qrt_finance__operating_costs the invalid winners (and every null-key row).

with

source as (

    select * from {{ source('finance', 'operating_costs') }}

),

markets as (

    select distinct market_code as known_market_code from {{ ref('markets') }}

),

typed as (

    select
        {{ dbt.safe_cast('cost_month', 'date') }} as cost_month,
        {{ dbt.safe_cast('market_code', dbt.type_string()) }} as market_code,
        {{ dbt.safe_cast('cost_type', dbt.type_string()) }} as cost_type,
        {{ dbt.safe_cast('amount', type_float64()) }} as amount,
        {{ dbt.safe_cast('currency', dbt.type_string()) }} as currency,
        {{ dbt.safe_cast('_loaded_at', dbt.type_timestamp()) }} as loaded_at,
        (
            {{ cast_failed('cost_month', dbt.safe_cast('cost_month', 'date')) }}
            or {{ cast_failed('amount', dbt.safe_cast('amount', type_float64())) }}
            or {{ cast_failed('_loaded_at', dbt.safe_cast('_loaded_at', dbt.type_timestamp())) }}
        ) as has_invalid_type,
        {{ row_to_json({
            'cost_month': 'cost_month',
            'market_code': 'market_code',
            'cost_type': 'cost_type',
            'amount': 'amount',
            'currency': 'currency',
            '_loaded_at': '_loaded_at'
        }) }} as raw_row
    from source

),

ranked as (

    select
        *,
        {{ row_key(['cost_month', 'market_code', 'cost_type']) }} as row_key,
        {{ dedupe_row_number(
            ['cost_month', 'market_code', 'cost_type'],
            ['loaded_at desc', 'raw_row desc']
        ) }} as version_rank
    from typed

),

validated as (

    select
        *,
        case
            when
                cost_month is null
                or market_code is null
                or cost_type is null
                then 'null_key'
            when
                market_code is null
                or known_market_code is null
                then 'unknown_market'
            when
                has_invalid_type
                or loaded_at is null
                or {{ not_accepted('cost_type', ['salaries', 'outsourcing', 'tools', 'telephony', 'other']) }}
                then 'invalid_value'
        end as quarantine_reason
    from ranked
    left join markets on ranked.market_code = markets.known_market_code

),

final as (

    select
        'finance/operating_costs' as source_table,
        row_key,
        row_key as operating_cost_id,
        cost_month,
        market_code,
        cost_type,
        amount,
        currency,
        loaded_at,
        raw_row,
        (row_key is not null and version_rank > 1) as is_duplicate,
        quarantine_reason
    from validated

)

select * from final
