-- The evidence of every finding of kpi_diagnostics: one row per finding and rule
-- condition, with the KPI (or market fact) it tested, its value, target, the
-- comparison and threshold, and the one-line evidence text.

with

condition_results as (

    select * from {{ ref('int_diagnostics__condition_results') }}

),

findings as (

    select * from {{ ref('kpi_diagnostics') }}

),

final as (

    select
        condition_results.period_grain,
        condition_results.period_start,
        condition_results.market_code,
        condition_results.rule_code,
        condition_results.condition_no,
        condition_results.kpi_code,
        condition_results.channel,
        condition_results.comparison,
        condition_results.threshold,
        condition_results.signal_value as value,  -- noqa: RF04
        condition_results.unit,
        condition_results.target_value as target,  -- noqa: RF04
        condition_results.meets_target,
        condition_results.evidence_text
    from condition_results
    inner join findings
        on
            condition_results.period_grain = findings.period_grain
            and condition_results.period_start = findings.period_start
            and condition_results.market_code = findings.market_code
            and condition_results.rule_code = findings.rule_code

)

select * from final
