-- Every condition of every active diagnostic rule evaluated for every ISO week
-- and month and market with KPI data: the signal value it tested, the target,
-- whether the condition holds (is_satisfied) and a one-line evidence text.
-- Comparison codes (seed diagnostic_rule_conditions):
--   meets_target / misses_target        the KPI meets / misses its market target
--   above_target_by_pct / below_target_by_pct
--                                       value >= target x (1 + threshold / 100) /
--                                       value <= target x (1 - threshold / 100)
--   >=, >, <=, <                        value against the threshold
-- A missing value (no data, no target) never satisfies a condition. Periods with
-- fewer than var('diagnostics_min_contacts') contacts (launch weeks, partial
-- periods at the data edges) are not evaluated: too few contacts to diagnose.

with

signals as (

    select * from {{ ref('int_diagnostics__signals') }}

),

rules as (

    select * from {{ ref('diagnostic_rules') }}
    where is_active

),

conditions as (

    select * from {{ ref('diagnostic_rule_conditions') }}

),

periods as (

    select
        period_grain,
        period_start,
        market_code
    from signals
    where
        signal_code = 'contacts'
        and signal_value >= {{ checked_var('diagnostics_min_contacts', 50) }}

),

candidates as (

    select
        periods.period_grain,
        periods.period_start,
        periods.market_code,
        conditions.rule_code,
        conditions.condition_no,
        conditions.kpi_code,
        coalesce(conditions.channel, 'all') as channel,
        conditions.comparison,
        cast(conditions.threshold as {{ type_double() }}) as threshold
    from periods
    cross join conditions
    inner join rules
        on conditions.rule_code = rules.rule_code

),

evaluated as (

    select
        candidates.period_grain,
        candidates.period_start,
        candidates.market_code,
        candidates.rule_code,
        candidates.condition_no,
        candidates.kpi_code,
        candidates.channel,
        candidates.comparison,
        candidates.threshold,
        signals.signal_value,
        coalesce(signals.unit, '') as unit,
        signals.target_value,
        signals.meets_target,
        case
            when signals.signal_value is null then false
            when candidates.comparison = 'meets_target'
                then coalesce(signals.meets_target, false)
            when candidates.comparison = 'misses_target'
                then coalesce(not signals.meets_target, false)
            when candidates.comparison = 'above_target_by_pct'
                then coalesce(signals.signal_value >= signals.target_value * (1 + candidates.threshold / 100), false)
            when candidates.comparison = 'below_target_by_pct'
                then coalesce(signals.signal_value <= signals.target_value * (1 - candidates.threshold / 100), false)
            when candidates.comparison = '>='
                then coalesce(signals.signal_value >= candidates.threshold, false)
            when candidates.comparison = '>'
                then coalesce(signals.signal_value > candidates.threshold, false)
            when candidates.comparison = '<='
                then coalesce(signals.signal_value <= candidates.threshold, false)
            when candidates.comparison = '<'
                then coalesce(signals.signal_value < candidates.threshold, false)
            else false
        end as is_satisfied
    from candidates
    left join signals
        on
            candidates.period_grain = signals.period_grain
            and candidates.period_start = signals.period_start
            and candidates.market_code = signals.market_code
            and candidates.channel = signals.channel
            and candidates.kpi_code = signals.signal_code

),

{#- Number formatting per unit: percent 1 decimal + '%', seconds whole + 's',
    eur 2 decimals + ' EUR', months and counts whole, ratio and score 2 decimals. -#}
{%- set formatted = {} -%}
{%- for column in ['signal_value', 'target_value', 'threshold'] %}
    {%- do formatted.update({column: "case unit"
        ~ " when 'percent' then cast(cast(" ~ column ~ " as decimal(18, 1)) as " ~ dbt.type_string() ~ ") || '%'"
        ~ " when 'seconds' then cast(cast(" ~ column ~ " as decimal(18, 0)) as " ~ dbt.type_string() ~ ") || 's'"
        ~ " when 'eur' then cast(cast(" ~ column ~ " as decimal(18, 2)) as " ~ dbt.type_string() ~ ") || ' EUR'"
        ~ " when 'months' then cast(cast(" ~ column ~ " as decimal(18, 0)) as " ~ dbt.type_string() ~ ")"
        ~ " when 'count' then cast(cast(" ~ column ~ " as decimal(18, 0)) as " ~ dbt.type_string() ~ ")"
        ~ " else cast(cast(" ~ column ~ " as decimal(18, 2)) as " ~ dbt.type_string() ~ ") end"}) -%}
{%- endfor %}

texts as (

    select
        *,
        {{ formatted['signal_value'] }} as value_text,
        {{ formatted['target_value'] }} as target_text,
        case
            when comparison in ('above_target_by_pct', 'below_target_by_pct')
                then cast(cast(threshold as decimal(18, 1)) as {{ dbt.type_string() }}) || '%'
            else {{ formatted['threshold'] }}
        end as threshold_text
    from evaluated

),

final as (

    select
        period_grain,
        period_start,
        market_code,
        rule_code,
        condition_no,
        kpi_code,
        channel,
        comparison,
        threshold,
        signal_value,
        unit,
        target_value,
        meets_target,
        is_satisfied,
        kpi_code
        || case when channel = 'all' then '' else '[' || channel || ']' end
        || '='
        || coalesce(value_text, 'n/a')
        || ' ('
        || case
            when target_value is null then ''
            when meets_target then 'target ' || target_text || ', met'
            when not meets_target then 'target ' || target_text || ', missed'
            else 'target ' || target_text
        end
        || case
            when
                target_value is not null
                and comparison in ('>=', '>', '<=', '<', 'above_target_by_pct', 'below_target_by_pct')
                then '; '
            else ''
        end
        || case
            when comparison in ('>=', '>', '<=', '<')
                then 'rule ' || comparison || ' ' || threshold_text
            when comparison = 'above_target_by_pct'
                then 'rule >= ' || threshold_text || ' above target'
            when comparison = 'below_target_by_pct'
                then 'rule >= ' || threshold_text || ' below target'
            when target_value is null
                then 'no target'
            else ''
        end
        || ')' as evidence_text
    from texts

)

select * from final
