{#-
    quarantine_rate_within_threshold(quarantined, threshold, min_rows, sample_size=5): on
    dq_table_reconciliation. One failing row per raw table that quarantines more than threshold
    (a fraction: 0.05 = 5%) of its raw rows and at least min_rows rows (one bad row in a 19-row
    table is no trend). The message names the table, the rate, the reasons by frequency and up
    to sample_size quarantined keys (keyed rows first) from quarantined (fct_quarantined_rows).
-#}
{% test quarantine_rate_within_threshold(model, quarantined, threshold, min_rows, sample_size=5) %}

{#- the yml passes the vars: checked here, the cast below would turn a bad value into 0 -#}
{%- do check_var('quarantine_rate_threshold', threshold) %}
{%- do check_var('quarantine_min_rows', min_rows) %}
{%- set threshold = threshold | float %}
{%- set min_rows = min_rows | int %}

with

reconciliation as (

    select
        source_table,
        raw_rows,
        quarantined_rows
    from {{ model }}

),

quarantined_rows as (

    select
        source_table,
        reason,
        row_key
    from {{ quarantined }}

),

breaches as (

    select
        source_table,
        raw_rows,
        quarantined_rows,
        cast(quarantined_rows as {{ type_double() }}) / raw_rows as quarantine_share
    from reconciliation
    where
        raw_rows > 0
        and quarantined_rows >= {{ min_rows }}
        and cast(quarantined_rows as {{ type_double() }}) / raw_rows > {{ threshold }}

),

reason_counts as (

    select
        source_table,
        reason,
        count(*) as reason_rows
    from quarantined_rows
    group by source_table, reason

),

reasons as (

    select
        source_table,
        {{ ordered_string_agg(
            dbt.concat(['reason', "'='", as_text('reason_rows')]), "', '", ['-reason_rows', 'reason']
        ) }} as reason_list
    from reason_counts
    group by source_table

),

ranked_keys as (

    select
        source_table,
        coalesce(row_key, '<null key>') as sample_key,
        -- Keyed rows first: "<null key>" tells the reader nothing they can look up.
        row_number() over (
            partition by source_table
            order by case when row_key is null then 1 else 0 end, row_key
        ) as key_rank
    from quarantined_rows

),

samples as (

    select
        source_table,
        {{ ordered_string_agg('sample_key', "', '", ['key_rank']) }} as sample_keys
    from ranked_keys
    where key_rank <= {{ sample_size }}
    group by source_table

),

final as (

    select
        breaches.source_table,
        breaches.raw_rows,
        breaches.quarantined_rows,
        breaches.quarantine_share,
        -- The rate: a cast to decimal rounds on every adapter (PostgreSQL has no round(double, n)).
        {{ dbt.concat([
            "breaches.source_table", "': '",
            as_text('cast(100 * breaches.quarantine_share as decimal(6, 1))'),
            "'% of raw rows quarantined ('", as_text('breaches.quarantined_rows'),
            "' of '", as_text('breaches.raw_rows'),
            "') > " ~ ('%.1f' % (100 * threshold)) ~ "%'",
            "coalesce(" ~ dbt.concat(["'; reasons: '", 'reasons.reason_list']) ~ ", '')",
            "coalesce(" ~ dbt.concat(["'; sample keys: '", 'samples.sample_keys']) ~ ", '')"
        ]) }} as message
    from breaches
    left join reasons
        on breaches.source_table = reasons.source_table
    left join samples
        on breaches.source_table = samples.source_table

)

select * from final

{% endtest %}
