{#-
    check_raw_contract()
    Called from on-run-start (dbt_project.yml). Before any model runs it checks, for every
    source of this project, that the raw table can be read and has every column declared in
    the sources yml (extra columns are allowed). A missing table or missing required columns
    raise a compiler error naming system/table, the missing columns and where it looked.
    Cheap: a glob and a `limit 0` select per table on DuckDB, catalog look-ups elsewhere.
    Skipped at parse/compile/docs time.
-#}
{% macro check_raw_contract() -%}
    {%- if not execute or flags.WHICH not in ('run', 'build', 'test', 'seed', 'snapshot') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- for node in graph.sources.values() | sort(attribute='unique_id') -%}
        {#- reference tables are optional; models/staging/reference checks the present ones -#}
        {%- if node.package_name == project_name and node.source_name != 'reference' -%}
            {%- set problem = raw_contract_problem(node) -%}
            {%- if problem -%}{%- do problems.append(problem) -%}{%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            "Raw data contract check failed (see docs/contract.md):\n  - " ~ problems | join("\n  - ")
        ) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{#- raw_contract_problem(node): a message describing what is wrong with one source, or ''. -#}
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

{% macro duckdb__raw_contract_problem(node) -%}
    {%- set label = node.source_name ~ '/' ~ node.name -%}
    {%- set ext = 'csv' if var('raw_format', 'parquet') == 'csv' else 'parquet' -%}
    {%- set where = env_var('CSKPI_RAW_DIR', 'data/raw') ~ '/' ~ node.source_name ~ '/' ~ node.name ~ '/*.' ~ ext -%}
    {%- set n_files = run_query("select count(*) from glob('" ~ where ~ "')").columns[0].values()[0] -%}
    {%- if n_files == 0 -%}
        {{ return(label ~ ": raw table missing, no landing files match " ~ where) }}
    {%- endif -%}
    {%- set probe = run_query('select * from ' ~ node.relation_name ~ ' limit 0') -%}
    {%- set missing = raw_contract_missing(raw_contract_required_columns(node), probe.column_names) -%}
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
