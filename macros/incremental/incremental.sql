{#-
    Incremental refresh of the large facts (tickets, ticket events, calls, contacts).

    Every incremental model keeps `loaded_at` (the raw `_loaded_at` of the newest input row).
    Watermark: max(loaded_at) of the accepted rows already in the target ({{ this }}; a base_*
    model's quarantined rows do not count, so a far-future _loaded_at cannot move it); the run re-processes every key
    touched by raw rows with _loaded_at >= watermark - var('lookback_days') (default 3), so rows
    that land late (with an older _loaded_at) and updates are picked up, and re-running a night
    recomputes the same keys to the same rows (idempotent).
    The strategy per adapter is incremental_strategy(); `--full-refresh` rebuilds from scratch.
-#}

{#- incremental_strategy(): delete+insert where the adapter has it, insert_overwrite on Spark (parquet). -#}
{% macro incremental_strategy() -%}
    {{ return(adapter.dispatch('incremental_strategy', 'cskpi')()) }}
{%- endmacro %}

{% macro default__incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{#-
    Spark on plain parquet (no Delta Lake: no MERGE, no DELETE): insert_overwrite, the only
    strategy dbt-spark accepts there besides append. dbt_project.yml sets +full_refresh on the
    spark target, so is_incremental() is false there and every run rebuilds these models in full
    (the delete hooks render to nothing); a Delta/Iceberg cluster can return 'merge' instead.
-#}
{% macro spark__incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{#- lookback_days(): days before the watermark that every run re-reads (late rows, updates). -#}
{% macro lookback_days() -%}
    {{ return(checked_var('lookback_days', 3) | int) }}
{%- endmacro %}

{#-
    incremental_cutoff(column='loaded_at')
    SQL timestamp literal: max(column) of {{ this }} minus lookback_days(), truncated to the
    second (earlier, so conservative). none when the model is not running incrementally.
    An empty target gives 1900-01-01 (everything is new).
-#}
{% macro incremental_cutoff(column='loaded_at') -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if column | lower not in existing -%}
        {{ exceptions.raise_compiler_error(
            this ~ " has no column " ~ column ~ " (built before it became incremental): "
            ~ "run the build once with --full-refresh"
        ) }}
    {%- endif -%}
    {#-
        Accepted rows only where the model validates (base_* models): a quarantined row (e.g. a
        _loaded_at in 2300, out_of_range_timestamp) must not move the watermark, or every later
        night's rows would fall below it.
    -#}
    {%- set accepted = ' where quarantine_reason is null' if 'quarantine_reason' in existing else '' -%}
    {%- set result = run_query('select max(' ~ column ~ ') from ' ~ this ~ accepted) -%}
    {%- set value = result.columns[0].values()[0] -%}
    {%- if value is none -%}
        {%- set cutoff = modules.datetime.datetime(1900, 1, 1) -%}
    {%- else -%}
        {%- if value is string -%}
            {%- set value = modules.datetime.datetime.strptime(value[:19], '%Y-%m-%d %H:%M:%S') -%}
        {%- endif -%}
        {%- set cutoff = value - modules.datetime.timedelta(days=lookback_days()) -%}
    {%- endif -%}
    {{ return("cast('" ~ cutoff.strftime('%Y-%m-%d %H:%M:%S') ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}

{#- raw_loaded_since(cutoff): raw row with _loaded_at at or after the cutoff. -#}
{% macro raw_loaded_since(cutoff) -%}
    {{ try_cast_to('_loaded_at', 'timestamp') }} >= {{ cutoff }}
{%- endmacro %}

{#-
    incremental_raw_keys(key, source_relation, cutoff, triggers=[])
    Keys of the raw rows loaded since the cutoff, plus, per trigger (column, parent_relation,
    parent_key[, parent_triggers]), the keys of rows whose reference points at a parent touched
    since the cutoff (their orphan check may change). Triggers nest: a ticket event is touched
    when its ticket is, and a ticket when its customer is.
-#}
{% macro incremental_raw_keys(key, source_relation, cutoff, triggers=[]) -%}
    select {{ key }} from {{ source_relation }}
    where
        {{ raw_loaded_since(cutoff) }}
        {%- for trigger in triggers %}
            or {{ trigger[0] }} in (
                {{ incremental_raw_keys(trigger[2], trigger[1], cutoff, trigger[3] if trigger | length > 3 else []) }}
            )
        {%- endfor %}
{%- endmacro %}

{#-
    incremental_raw_filter(key, source_relation, cutoff, triggers=[])
    Where clause for the raw rows a base_* model re-processes: every version of every key from
    incremental_raw_keys() (old versions are re-read so the latest-version ranking sees them
    all) and every null-key row loaded since the cutoff (or without _loaded_at).
-#}
{% macro incremental_raw_filter(key, source_relation, cutoff, triggers=[]) -%}
    (
        {{ key }} in (
            {{ incremental_raw_keys(key, source_relation, cutoff, triggers) }}
        )
        or (
            {{ key }} is null
            and (
                {{ raw_loaded_since(cutoff) }}
                or _loaded_at is null
            )
        )
    )
{%- endmacro %}

{#-
    incremental_delete_null_keys(): pre-hook of the base_* models. Null-key rows have no unique
    key, so the ones the run re-reads (loaded since the cutoff, or without _loaded_at) are deleted
    first; the run inserts them again.
-#}
{% macro incremental_delete_null_keys(key_column='row_key') -%}
    {%- set cutoff = incremental_cutoff() -%}
    {%- if cutoff is none -%}
        {{ return('') }}
    {%- endif -%}
    {{ return('delete from ' ~ this ~ ' where ' ~ key_column ~ ' is null and (loaded_at >= '
        ~ cutoff ~ ' or loaded_at is null)') }}
{%- endmacro %}

{#-
    incremental_delete_missing(key_column, upstream_relation, upstream_key=key_column, where=none)
    Post-hook: keys that left the upstream (e.g. a ticket whose newest version is quarantined)
    are deleted from the target. An id-only anti-join, cheap next to the model.
-#}
{% macro incremental_delete_missing(key_column, upstream_relation, upstream_key=none, where=none) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set upstream_key = upstream_key or key_column -%}
    {{ return('delete from ' ~ this ~ ' where ' ~ key_column ~ ' not in (select ' ~ upstream_key
        ~ ' from ' ~ upstream_relation ~ ' where ' ~ upstream_key ~ ' is not null'
        ~ (' and ' ~ where if where else '') ~ ')') }}
{%- endmacro %}

{#- changed_call_ids(cutoff, calls): calls with a raw version loaded since the cutoff (calls: their base model). -#}
{% macro changed_call_ids(cutoff, calls) -%}
    select row_key from {{ calls }}
    where row_key is not null and loaded_at >= {{ cutoff }}
{%- endmacro %}

{#-
    changed_ticket_ids(cutoff, tickets, ticket_events, customers): tickets with a raw version or
    an event version loaded since the cutoff, or whose customer was loaded since then (the
    ticket's orphan check may change). The arguments are the base models of the three tables.
-#}
{% macro changed_ticket_ids(cutoff, tickets, ticket_events, customers) -%}
    select row_key from {{ tickets }}
    where
        row_key is not null
        and (
            loaded_at >= {{ cutoff }}
            or customer_id in (
                select customer_id from {{ customers }}
                where loaded_at >= {{ cutoff }}
            )
        )
    union
    select ticket_id from {{ ticket_events }}
    where ticket_id is not null and loaded_at >= {{ cutoff }}
{%- endmacro %}

{#- changed_contact_ids(changed_calls, changed_tickets): contact ids of the changed calls and tickets (id queries). -#}
{% macro changed_contact_ids(changed_calls, changed_tickets) -%}
    select {{ dbt.concat(["'call:'", 'changed_calls.row_key']) }}
    from ({{ changed_calls }}) as changed_calls
    union all
    select {{ dbt.concat(["'ticket:'", 'changed_tickets.row_key']) }}
    from ({{ changed_tickets }}) as changed_tickets
{%- endmacro %}

{#-
    upstream_contact_ids(calls, tickets): every contact id int_contacts__unified derives from the
    enriched calls and tickets (for the post-hook).
-#}
{% macro upstream_contact_ids(calls, tickets) -%}
    {{ return('(select ' ~ dbt.concat(["'call:'", 'call_id']) ~ ' as contact_id from '
        ~ calls ~ ' where is_incoming union all select '
        ~ dbt.concat(["'ticket:'", 'ticket_id']) ~ ' as contact_id from '
        ~ tickets ~ ') as upstream_contacts') }}
{%- endmacro %}

{#-
    affected_contact_customers(changed_contacts, new_sources)
    Known customers whose contacts must be re-computed: the customers of every changed contact
    (changed_contacts: the id query of changed_contact_ids()), before (in {{ this }}) and after
    the change (new_sources: list of (relation, id column, changed-id sql)).
    followed_by_repeat_within_window looks at the customer's other contacts, so all contacts of
    these customers are re-computed.
-#}
{% macro affected_contact_customers(changed_contacts, new_sources) -%}
    {%- for relation, id_column, changed_ids in new_sources %}
    select customer_id from {{ relation }}
    where customer_id is not null and {{ id_column }} in ({{ changed_ids }})
    union
    {%- endfor %}
    select customer_id from {{ this }}
    where customer_id is not null and contact_id in ({{ changed_contacts }})
{%- endmacro %}
