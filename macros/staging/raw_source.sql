{#-
    Partial systems: a raw table (or a whole system) may be absent from the landing folder
    (DuckDB) or the raw schema (PostgreSQL, Spark). Every reader of a raw table goes through
    raw_source(), which yields the source relation when the table is there and otherwise a
    typed empty select with the contract's columns (cskpi/contract.py, via raw_contract()),
    so the staging models, reconciliation and marts build with zero rows for it and the KPIs
    that need it are null. Presence is decided when the run executes (never at parse time),
    so landing the files later just works on the next run.
-#}

{#- raw_source(system, table): the raw relation of system/table, or its typed empty stand-in. -#}
{% macro raw_source(system, table) -%}
    {%- set relation = source(system, table) -%}
    {%- if execute and not raw_table_present(system, table) -%}
        {{ return(raw_empty_relation(system, table)) }}
    {%- endif -%}
    {%- if execute and csv_landing_active() -%}
        {#- CSV landing files are parsed against the contract (macros/staging/csv_landing.sql) -#}
        {{ return(csv_landing_relation(system, table)) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}

{#-
    raw_row_count(system, table): SQL for the number of raw rows of system/table, for the
    reconciliation. CSV landing files are counted from their lines, not by the parser.
-#}
{% macro raw_row_count(system, table) -%}
    {%- if execute and csv_landing_active() and raw_table_present(system, table) -%}
        {{ return(csv_landing_row_count(system, table)) }}
    {%- endif -%}
    {{ return('(select count(*) from ' ~ raw_source(system, table) ~ ')') }}
{%- endmacro %}

{#- raw_empty_relation(system, table): zero rows with every contract column in its contract type. -#}
{% macro raw_empty_relation(system, table) -%}
    {%- set t = staging_table(system, table) -%}
    {%- set columns = [] -%}
    {%- for column in t.columns -%}
        {%- do columns.append('cast(null as ' ~ staging_type(column.type) ~ ') as ' ~ column.name) -%}
    {%- endfor -%}
    {{ return('(select ' ~ columns | join(', ') ~ ' where 1 = 0) as absent_' ~ system ~ '__' ~ table) }}
{%- endmacro %}

{#- raw_source_node(system, table): the graph node of this project's source system.table. -#}
{% macro raw_source_node(system, table) -%}
    {{ return(graph.sources['source.' ~ project_name ~ '.' ~ system ~ '.' ~ table]) }}
{%- endmacro %}

{#- raw_table_present(system, table): true when the raw table has landing files / a relation. -#}
{% macro raw_table_present(system, table) -%}
    {{ return(raw_node_present(raw_source_node(system, table))) }}
{%- endmacro %}

{% macro raw_node_present(node) -%}
    {{ return(adapter.dispatch('raw_node_present', 'cskpi')(node)) }}
{%- endmacro %}

{#- raw_landing_glob(node): the files DuckDB reads for a source (the format of var raw_format). -#}
{% macro raw_landing_glob(node) -%}
    {%- set ext = 'csv' if checked_var('raw_format', 'parquet') == 'csv' else 'parquet' -%}
    {{ return(env_var('CSKPI_RAW_DIR', 'data/raw') ~ '/' ~ node.source_name ~ '/' ~ node.name ~ '/*.' ~ ext) }}
{%- endmacro %}

{% macro duckdb__raw_node_present(node) -%}
    {%- set pattern = raw_landing_glob(node) | replace("'", "''") -%}
    {%- set n_files = run_query("select count(*) from glob('" ~ pattern ~ "')").columns[0].values()[0] -%}
    {{ return(n_files > 0) }}
{%- endmacro %}

{% macro default__raw_node_present(node) -%}
    {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.identifier) -%}
    {{ return(relation is not none) }}
{%- endmacro %}

{#- raw_absent_tables(): system/table of every contract table absent in this run, sorted. -#}
{% macro raw_absent_tables() -%}
    {%- set absent = [] -%}
    {%- for path in raw_contract()['tables'] | sort -%}
        {%- set parts = path.split('/') -%}
        {%- if not raw_table_present(parts[0], parts[1]) -%}{%- do absent.append(path) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(absent) }}
{%- endmacro %}
