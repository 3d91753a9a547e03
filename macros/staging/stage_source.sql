{#-
    The staging layer, derived from the raw contract (cskpi/contract.py, read through the
    generated macro raw_contract(); rules and their priority: docs/contract.md). Three models
    per raw table <system>/<table>:
      base_<system>__<table>  stage_source()      every raw row typed, PII hashed, version-ranked
                                                  and validated (quarantine_reason)
      stg_<system>__<table>   accepted_rows()     the valid winning version of every key
      qrt_<system>__<table>   quarantined_rows()  the invalid winning versions and every null-key row
-#}

{#- staging_table(system, table): the raw_contract() entry of system/table. -#}
{% macro staging_table(system, table) -%}
    {%- set entry = raw_contract()['tables'].get(system ~ '/' ~ table) -%}
    {%- if entry is none -%}
        {{ exceptions.raise_compiler_error(
            "no raw table " ~ system ~ "/" ~ table ~ " in cskpi/contract.py (see docs/contract.md)"
        ) }}
    {%- endif -%}
    {{ return(entry) }}
{%- endmacro %}

{#- staging_type(contract_type): the adapter's SQL type of a contract column type. -#}
{% macro staging_type(contract_type) -%}
    {%- set types = {
        'varchar': dbt.type_string(),
        'integer': dbt.type_int(),
        'double': type_double(),
        'boolean': dbt.type_boolean(),
        'timestamp': dbt.type_timestamp(),
        'date': 'date',
    } -%}
    {{ return(types[contract_type] | trim) }}
{%- endmacro %}

{#- staging_cast(column): the raw column cast to its contract type; null when it does not convert (try_cast_to). -#}
{% macro staging_cast(column) -%}
    {{ return(try_cast_to(column.name, column.type) | trim) }}
{%- endmacro %}

{#- staging_value(column): the staged value of a raw column: hashed when PII, else cast. -#}
{% macro staging_value(column) -%}
    {{ return(hash_pii(column.name) if column.pii else staging_cast(column)) }}
{%- endmacro %}

{#-
    staging_rules(t): [[reason, [[condition, detail], ...]], ...] for the validated CTE, in the
    priority order of the contract's reasons; a row gets the first reason one of whose
    conditions holds, and the detail (a SQL text expression naming the column) of that
    condition. Conditions read the typed columns (and the known_/accepted_ columns of the lookups).
-#}
{% macro staging_rules(t, landing=false) -%}
    {%- set when = {} -%}
    {%- for reason in raw_contract()['reasons'] -%}{%- do when.update({reason: []}) -%}{%- endfor -%}
    {%- if landing -%}
        {#- CSV landing problems (macros/staging/csv_landing.sql) -#}
        {%- do when['malformed_line'].append([
            "landing_problem = 'malformed_line'",
            quoted_detail('the CSV line does not parse against the header (file and line in raw_row)'),
        ]) -%}
        {%- do when['missing_column'].append([
            "landing_problem = 'missing_column'",
            quoted_detail('the CSV file header lacks a contract column (file and columns in raw_row)'),
        ]) -%}
    {%- endif -%}
    {%- for column in t.primary_key -%}
        {%- do when['null_key'].append([column ~ ' is null', quoted_detail(column ~ ' is null')]) -%}
    {%- endfor -%}
    {%- if t.market_column -%}
        {%- set market = t.market_column -%}
        {%- do when['unknown_market'].extend([
            [market ~ ' is null', quoted_detail(market ~ ' is null')],
            ['known_market_code is null', quoted_detail(market ~ ' is not a market_code of stg_reference__markets')],
        ]) -%}
    {%- endif -%}
    {%- for rule in t.ranges -%}
        {%- for column in rule.columns -%}
            {%- if rule.minimum is not none -%}
                {%- set condition = column ~ ' < ' ~ rule.minimum -%}
                {%- do when[rule.reason].append([condition, quoted_detail(condition)]) -%}
            {%- endif -%}
            {%- if rule.maximum is not none -%}
                {%- set condition = column ~ ' > ' ~ rule.maximum -%}
                {%- do when[rule.reason].append([condition, quoted_detail(condition)]) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for pair in t.ordered -%}
        {%- set condition = pair.end ~ ' < ' ~ pair.start -%}
        {%- do when['end_before_start'].append([condition, quoted_detail(condition)]) -%}
    {%- endfor -%}
    {%- for reference in t.references if not reference.inferred -%}
        {%- set accepted = 'accepted_' ~ reference.column -%}
        {%- set orphan = quoted_detail(reference.column ~ ' has no accepted row in ' ~ reference.model) -%}
        {%- if reference.required -%}
            {%- do when['orphan_reference'].extend([
                [reference.column ~ ' is null', quoted_detail(reference.column ~ ' is null (required)')],
                [accepted ~ ' is null', orphan],
            ]) -%}
        {%- else -%}
            {%- do when['orphan_reference'].append(
                ['(' ~ reference.column ~ ' is not null and ' ~ accepted ~ ' is null)', orphan]
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for column in t.columns | selectattr('future') -%}
        {%- do when['future_timestamp'].append([
            is_future(column.name),
            quoted_detail(column.name ~ ' is more than future_tolerance_minutes after _loaded_at'),
        ]) -%}
    {%- endfor -%}
    {%- for column in t.columns if column.type == 'timestamp' -%}
        {%- do when['out_of_range_timestamp'].extend([
            [before_earliest(column.staged_name),
                quoted_detail(column.name ~ ' is before earliest_timestamp ' ~ earliest_timestamp())],
            [after_now(column.staged_name),
                quoted_detail(column.name ~ ' is more than future_tolerance_minutes after the current time')],
        ]) -%}
    {%- endfor -%}
    {%- do when['invalid_value'].extend([
        ['invalid_type_detail is not null', 'invalid_type_detail'],
        ['loaded_at is null', quoted_detail('_loaded_at is null')],
    ]) -%}
    {%- for column in t.columns | selectattr('accepted_values') -%}
        {%- do when['invalid_value'].append([
            not_accepted(column.staged_name, column.accepted_values),
            quoted_detail(column.name ~ ' is not one of its accepted values'),
        ]) -%}
    {%- endfor -%}
    {%- for group in t.exactly_one -%}
        {%- set detail = quoted_detail('exactly one of ' ~ group | join(', ') ~ ' must be set') -%}
        {#- none set, or two set -#}
        {%- do when['invalid_value'].append(['(' ~ group | join(' is null and ') ~ ' is null)', detail]) -%}
        {%- for first in group -%}
            {%- for second in group[loop.index:] -%}
                {%- do when['invalid_value'].append(
                    ['(' ~ first ~ ' is not null and ' ~ second ~ ' is not null)', detail]
                ) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set rules = [] -%}
    {%- for reason in raw_contract()['reasons'] if when[reason] -%}
        {%- do rules.append([reason, when[reason]]) -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}

{#-
    stage_source(system, table, input_relation, where=none)
    The base model of a raw table: one row per row of input_relation (the raw source, or a
    source-adapter model that delivers the contract's columns), filtered by the optional
    `where` predicate (incremental runs), with
      - every contract column cast to its type, PII columns as <column>_hash, loaded_at;
      - invalid_type_detail (the first non-varchar value that does not convert) and raw_row (JSON, PII hashed);
      - row_key and version_rank (1 = the winning version of the key, see version_order);
      - quarantine_reason (first failing rule, null when valid), quarantine_detail (the table, row key
        and column of that rule, e.g. "telephony/calls row C1: talk_seconds is not a valid integer")
        and is_duplicate.
-#}
{% macro stage_source(system, table, input_relation, where=none) -%}
{%- set t = staging_table(system, table) -%}
{%- set landing = csv_landing_parsed(input_relation) -%}
{%- set raw_row = {} -%}
{%- for column in t.columns -%}
    {#- the raw values (PII hashed), so a quarantined row shows what arrived -#}
    {%- do raw_row.update({column.staged_name: hash_pii(column.name)} if column.pii else {column.name: column.name}) -%}
{%- endfor -%}
{%- if landing -%}
    {#- where the row came from (last, so version ties still order by the values) -#}
    {%- do raw_row.update({
        '_landing_file': '_landing_file', '_landing_line': '_landing_line', '_landing_problem': '_landing_detail'
    }) -%}
{%- endif -%}
with

source as (

    select * from {{ input_relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}

),
{%- if t.market_column %}

markets as (

    select distinct market_code as known_market_code from {{ ref(raw_contract()['markets_seed']) }}

),
{%- endif %}
{%- for reference in t.references if not reference.inferred %}

{{ reference.cte }} as (

    select distinct {{ reference.key }} as accepted_{{ reference.column }} from {{ ref(reference.model) }}

),
{%- endfor %}

typed as (

    select
        {%- for column in t.columns %}
        {{ staging_value(column) }} as {{ column.staged_name }},
        {%- endfor %}
        -- the first column whose raw value does not convert to its contract type
        case
            {%- for column in t.columns | selectattr('cast_checked') %}
            when {{ cast_failed(column.name, staging_cast(column)) }}
                then {{ quoted_detail(column.name ~ ' is not a valid ' ~ column.type) }}
            {%- endfor %}
        end as invalid_type_detail,
        {%- if landing %}
        _landing_problem as landing_problem,
        {%- endif %}
        {{ row_to_json(raw_row) }} as raw_row
    from source

),

ranked as (

    select
        *,
        {{ row_key(t.primary_key) }} as row_key,
        {{ dedupe_row_number(t.primary_key, t.version_order) }} as version_rank
    from typed

),

validated as (

    select
        *,
        {%- set rules = staging_rules(t, landing) %}
        case
            {%- for reason, conditions in rules %}
            when
                {%- for condition, detail in conditions %}
                {{ 'or ' if not loop.first }}{{ condition }}
                {%- endfor %}
                then '{{ reason }}'
            {%- endfor %}
        end as quarantine_reason,
        -- the detail of the first condition that holds: the same order as quarantine_reason
        case
            {%- for reason, conditions in rules %}
            {%- for condition, detail in conditions %}
            when {{ condition }} then {{ detail }}
            {%- endfor %}
            {%- endfor %}
        end as quarantine_detail
    from ranked
    {%- if t.market_column %}
    left join markets on ranked.{{ t.market_column }} = markets.known_market_code
    {%- endif %}
    {%- for reference in t.references if not reference.inferred %}
    left join {{ reference.cte }} on ranked.{{ reference.column }} = {{ reference.cte }}.accepted_{{ reference.column }}
    {%- endfor %}

),

final as (

    select
        '{{ t.path }}' as source_table,
        row_key,
        {%- if t.surrogate_key %}
        row_key as {{ t.surrogate_key }},
        {%- endif %}
        {%- for column in t.columns %}
        {{ column.staged_name }},
        {%- endfor %}
        raw_row,
        (row_key is not null and version_rank > 1) as is_duplicate,
        quarantine_reason,
        {{ dbt.concat(["'" ~ t.path ~ " row '", "coalesce(row_key, '<null key>')", "': '", 'quarantine_detail']) }}
            as quarantine_detail
    from validated

)

select * from final
{%- endmacro %}

{#- accepted_rows(system, table): the stg model, the valid winning version of every key. -#}
{% macro accepted_rows(system, table) -%}
    {%- set t = staging_table(system, table) -%}
    {%- set columns = ([t.surrogate_key] if t.surrogate_key else []) + t.columns | map(attribute='staged_name') | list -%}
    {{ return(winning_rows(t.base_model, 'accepted', columns, 'quarantine_reason is null')) }}
{%- endmacro %}

{#- quarantined_rows(system, table): the qrt model, invalid winning versions and every null-key row. -#}
{% macro quarantined_rows(system, table) -%}
    {%- set columns = ['source_table', 'row_key', 'quarantine_reason as reason', 'quarantine_detail as detail',
        'loaded_at', 'raw_row'] -%}
    {%- set t = staging_table(system, table) -%}
    {{ return(winning_rows(t.base_model, 'quarantined', columns, 'quarantine_reason is not null')) }}
{%- endmacro %}

{#- winning_rows(base_model, name, columns, condition): columns of the non-duplicate rows of a base model. -#}
{% macro winning_rows(base_model, name, columns, condition) -%}
with

base as (

    select * from {{ ref(base_model) }}

),

{{ name }} as (

    select
        {%- for column in columns %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from base
    where
        not is_duplicate
        and {{ condition }}

),

final as (

    select * from {{ name }}

)

select * from final
{%- endmacro %}
