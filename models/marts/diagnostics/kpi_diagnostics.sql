-- KPIs read together: one row per ISO week or month, market and diagnostic rule
-- that fires, i.e. every condition of the rule holds (satisfied conditions =
-- conditions). Rules and conditions are data (seeds diagnostic_rules and
-- diagnostic_rule_conditions); the evidence lists every KPI value and target the
-- rule used, in condition order.

with

condition_results as (

    select * from {{ ref('int_diagnostics__condition_results') }}

),

rules as (

    select * from {{ ref('diagnostic_rules') }}

),

rule_outcomes as (

    select
        period_grain,
        period_start,
        market_code,
        rule_code,
        count(*) as conditions_count,
        sum(case when is_satisfied then 1 else 0 end) as conditions_satisfied
    from condition_results
    group by
        period_grain,
        period_start,
        market_code,
        rule_code

),

findings as (

    select * from rule_outcomes
    where conditions_satisfied = conditions_count

),

{#- Evidence texts joined in condition order without listagg (whose order is not
    guaranteed on every warehouse): one max(case) per condition number, up to
    max_conditions (the seed test of diagnostic_rule_conditions enforces the bound). -#}
{%- set max_conditions = 10 %}

evidence_parts as (

    select
        condition_results.period_grain,
        condition_results.period_start,
        condition_results.market_code,
        condition_results.rule_code,
        {%- for n in range(1, max_conditions + 1) %}
            coalesce(
                max(
                    case
                        when condition_results.condition_no = {{ n }}
                            then '; ' || condition_results.evidence_text
                    end
                ),
                ''
            ){% if not loop.last %} ||{% endif %}
        {%- endfor %} as evidence_joined
    from condition_results
    inner join findings
        on
            condition_results.period_grain = findings.period_grain
            and condition_results.period_start = findings.period_start
            and condition_results.market_code = findings.market_code
            and condition_results.rule_code = findings.rule_code
    group by
        condition_results.period_grain,
        condition_results.period_start,
        condition_results.market_code,
        condition_results.rule_code

),

evidence as (

    select
        period_grain,
        period_start,
        market_code,
        rule_code,
        substr(evidence_joined, 3) as evidence
    from evidence_parts

),

final as (

    select
        findings.period_grain,
        findings.period_start,
        findings.market_code,
        findings.rule_code,
        rules.title,
        rules.severity,
        rules.explanation,
        evidence.evidence,
        rules.recommended_actions,
        trim({{ dbt.split_part('rules.recommended_actions', "'|'", 1) }}) as first_action,
        findings.conditions_count,
        rules.source_case
    from findings
    inner join rules
        on findings.rule_code = rules.rule_code
    inner join evidence
        on
            findings.period_grain = evidence.period_grain
            and findings.period_start = evidence.period_start
            and findings.market_code = evidence.market_code
            and findings.rule_code = evidence.rule_code

)

select * from final
