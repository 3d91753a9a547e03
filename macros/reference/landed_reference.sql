{#-
    landed_reference(name): the rows of the optional reference table `reference/<name>`, cast to
    the types of its source columns (models/staging/reference/_reference__sources.yml, generated
    from cskpi/contract.py). An absent table is no error: it gives no rows, so the shipped seed
    alone applies.
      - DuckDB: the files in <CSKPI_RAW_DIR>/reference/<name>/, *.parquet, else *.csv (header row);
      - other targets: table raw_reference.<name> when it exists (cskpi load).
-#}
{% macro landed_reference(name) -%}
    {%- set relation = source('reference', name) -%}
    {%- set node = graph.sources.get('source.' ~ project_name ~ '.reference.' ~ name) if execute else none -%}
    {%- set columns = node.columns.values() | list if node else [] -%}
    {%- set scan = reference_scan(name, relation) if execute else none -%}
    {%- if not columns -%}
        {#- parse time: only the dependency on the source matters -#}
        select 1 as no_column from {{ relation }}
    {%- elif scan -%}
        {%- set found = run_query('select * from ' ~ scan ~ ' as landed where 1 = 0').column_names | map('lower') | list -%}
        {%- set missing = columns | map(attribute='name') | reject('in', found) | list -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "reference/" ~ name ~ ": landing files lack required column(s) " ~ missing | join(', ')
                ~ " (" ~ scan ~ "; docs/contract.md, Reference data)"
            ) }}
        {%- endif -%}
    select
        {%- for column in columns %}
        cast({{ adapter.quote(column.name) }} as {{ staging_type(column.data_type) }}) as {{ column.name }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ scan }} as landed
    {%- else -%}
    select
        {%- for column in columns %}
        cast(null as {{ staging_type(column.data_type) }}) as {{ column.name }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from (select 1 as no_column) as no_rows
    where 1 = 0
    {%- endif -%}
{%- endmacro %}

{#- reference_scan(name, relation): what to select the landed rows from, or none when absent. -#}
{% macro reference_scan(name, relation) -%}
    {{ return(adapter.dispatch('reference_scan', 'cskpi')(name, relation)) }}
{%- endmacro %}

{% macro default__reference_scan(name, relation) -%}
    {%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) -%}
    {{ return(existing) }}
{%- endmacro %}

{% macro duckdb__reference_scan(name, relation) -%}
    {%- set folder = env_var('CSKPI_RAW_DIR', 'data/raw') ~ '/reference/' ~ name -%}
    {%- for fmt in ['parquet', 'csv'] -%}
        {%- set pattern = (folder ~ '/*.' ~ fmt) | replace("'", "''") -%}
        {%- set found = run_query("select count(*) from glob('" ~ pattern ~ "')").columns[0].values()[0] -%}
        {%- if found > 0 and fmt == 'parquet' -%}
            {{ return("read_parquet('" ~ pattern ~ "', union_by_name = true)") }}
        {%- elif found > 0 -%}
            {#- every column as text, cast by landed_reference like the raw sources' contract cast -#}
            {{ return("read_csv('" ~ pattern ~ "', header = true, union_by_name = true, all_varchar = true)") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{#- known_time_zones(): one column `time_zone`, every IANA zone name the database can convert with. -#}
{% macro known_time_zones() -%}
    {{ return(adapter.dispatch('known_time_zones', 'cskpi')()) }}
{%- endmacro %}

{% macro default__known_time_zones() -%}
    {#- Spark has no zone catalogue: the shipped IANA list -#}
    select time_zone from {{ ref('iana_time_zones') }}
{%- endmacro %}

{% macro duckdb__known_time_zones() -%}
    select name as time_zone from pg_timezone_names()
{%- endmacro %}

{% macro postgres__known_time_zones() -%}
    select name as time_zone from pg_catalog.pg_timezone_names
{%- endmacro %}
