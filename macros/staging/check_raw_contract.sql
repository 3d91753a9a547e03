{#-
    check_raw_contract()
    Called from on-run-start (dbt_project.yml). Before any model runs it checks, for every
    source of this project that is present, that it has every column declared in the sources
    yml (extra columns are allowed): missing required columns raise a compiler error naming
    system/table, the missing columns and where it looked. An absent table is no error (it
    reads as empty, macros/staging/raw_source.sql) and is logged once as "absent raw tables: ...";
    only when every raw table is absent does the run stop (a wrong raw folder or schema).
    Cheap: a glob and a `limit 0` select per table on DuckDB, catalog look-ups elsewhere.
    Skipped at parse/compile/docs time.
-#}
{% macro check_raw_contract() -%}
    {%- if not execute or flags.WHICH not in ('run', 'build', 'test', 'seed', 'snapshot') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- set absent = [] -%}
    {%- set nodes = [] -%}
    {%- for node in graph.sources.values() | sort(attribute='unique_id') -%}
        {%- if node.package_name == project_name and node.source_name == 'reference' and target.type != 'duckdb' -%}
            {#- reference tables are optional (models/staging/reference checks the present ones), but
                they are looked up here, before the model threads start: dbt adds a schema's relations
                to its cache one by one, and a thread asking meanwhile sees only part of them (a landed
                reference table then read as absent) -#}
            {%- do adapter.get_relation(database=node.database, schema=node.schema, identifier=node.identifier) -%}
        {%- endif -%}
        {%- if node.package_name == project_name and node.source_name != 'reference' -%}
            {%- do nodes.append(node) -%}
            {%- if not raw_node_present(node) -%}
                {%- do absent.append(node.source_name ~ '/' ~ node.name) -%}
            {%- else -%}
                {%- set problem = raw_contract_problem(node) -%}
                {%- if problem -%}{%- do problems.append(problem) -%}{%- endif -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if nodes and absent | length == nodes | length -%}
        {%- do problems.append("no raw table found: every table is absent (" ~ raw_contract_where(nodes[0]) ~ " ...)") -%}
    {%- elif absent -%}
        {{ log("absent raw tables: " ~ absent | sort | join(', '), info=True) }}
    {%- endif -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            "Raw data contract check failed (see docs/contract.md):\n  - " ~ problems | join("\n  - ")
        ) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{% macro raw_contract_problem(node) -%}
    {{ return(adapter.dispatch('raw_contract_problem', 'cskpi')(node)) }}
{%- endmacro %}

{% macro raw_contract_required_columns(node) -%}
    {%- set required = [] -%}
    {%- for name in node.columns.keys() -%}{%- do required.append(name | lower) -%}{%- endfor -%}
    {{ return(required) }}
{%- endmacro %}

{% macro raw_contract_missing(required, found) -%}
    {%- set found_lower = found | map('lower') | list -%}
    {%- set missing = [] -%}
    {%- for name in required -%}
        {%- if name not in found_lower -%}{%- do missing.append(name) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(missing) }}
{%- endmacro %}

{#- raw_contract_where(node): where the raw table of a source is looked for. -#}
{% macro raw_contract_where(node) -%}
    {%- if target.type == 'duckdb' -%}{{ return(raw_landing_glob(node)) }}{%- endif -%}
    {{ return(node.schema ~ '.' ~ node.identifier) }}
{%- endmacro %}

{#- raw_contract_problem(node) of a present table: its missing required columns, or ''. -#}
{% macro duckdb__raw_contract_problem(node) -%}
    {%- set label = node.source_name ~ '/' ~ node.name -%}
    {%- set where = raw_landing_glob(node) -%}
    {%- if csv_landing_active() -%}
        {#- CSV: a column missing from some files quarantines their rows (missing_column); from all, it stops the run -#}
        {%- set found = run_query(csv_landing_header_names(where)).columns[0].values() -%}
    {%- else -%}
        {%- set found = run_query('select * from ' ~ node.relation_name ~ ' limit 0').column_names -%}
    {%- endif -%}
    {%- set missing = raw_contract_missing(raw_contract_required_columns(node), found) -%}
    {%- if missing -%}
        {{ return(label ~ ": missing required column(s) " ~ missing | join(', ') ~ " in " ~ where) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{% macro default__raw_contract_problem(node) -%}
    {%- set label = node.source_name ~ '/' ~ node.name -%}
    {%- set where = node.schema ~ '.' ~ node.identifier -%}
    {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.identifier) -%}
    {%- if relation is none -%}
        {{ return(label ~ ": raw table missing, no relation " ~ where) }}
    {%- endif -%}
    {%- set found = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- set missing = raw_contract_missing(raw_contract_required_columns(node), found) -%}
    {%- if missing -%}
        {{ return(label ~ ": missing required column(s) " ~ missing | join(', ') ~ " in " ~ where) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
