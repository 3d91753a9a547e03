{#-
    Read access for analysts on server warehouses (on-run-end hook, dbt_project.yml).

    grant_analyst_access()
        After run/build/seed on PostgreSQL: creates the NOLOGIN role var('analyst_role')
        (default analyst) if absent, then, per schema that holds this project's models or
        seeds, revokes every table privilege of the role and grants back USAGE on the
        schema(s) holding marts and SELECT on the existing mart models only:
        dim_*, fct_* (except fct_quarantined_rows), kpi_*, dq_* (models, not seeds). The raw_* source schemas
        are revoked entirely (USAGE, CREATE and every table privilege). Re-run after every
        build because dbt replaces tables (a new table carries no grants).
        No-op on DuckDB (single-user file; readers use the published copy) and on adapters
        without an implementation.

    ensure_analyst_role()
        Only the CREATE ROLE part (usable from on-run-start, e.g. before +grants configs).

    analyst_readable_models()
        The model nodes of the graph analysts may read, the ones granted SELECT above (the
        exposure of the analyst role in models/exposures.yml lists the same models; a test
        renders this macro to check it).
-#}

{% macro analyst_role() -%}
    {{ return(checked_var('analyst_role', 'analyst')) }}
{%- endmacro %}

{#- True for relations analysts may read (SELECT): the marts and KPI tables. -#}
{% macro is_analyst_readable(name) -%}
    {%- set n = name | lower -%}
    {%- if n == 'fct_quarantined_rows' -%}{{ return(false) }}{%- endif -%}
    {%- for prefix in ['dim_', 'fct_', 'kpi_', 'dq_'] -%}
        {%- if n.startswith(prefix) -%}{{ return(true) }}{%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}

{% macro analyst_readable_models() -%}
    {%- set models = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.package_name == project_name and node.resource_type == 'model'
              and node.config.materialized != 'ephemeral' and is_analyst_readable(node.alias or node.name) -%}
            {%- do models.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(models) }}
{%- endmacro %}

{% macro grant_analyst_access() -%}
    {%- if not execute or flags.WHICH not in ('run', 'build', 'seed', 'snapshot', 'run-operation') -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(adapter.dispatch('grant_analyst_access', 'cskpi')()) }}
{%- endmacro %}

{% macro default__grant_analyst_access() -%}
    {{ return('') }}
{%- endmacro %}

{% macro ensure_analyst_role() -%}
    {{ return(adapter.dispatch('ensure_analyst_role', 'cskpi')()) }}
{%- endmacro %}

{% macro default__ensure_analyst_role() -%}
    {{ return('') }}
{%- endmacro %}

{% macro postgres__ensure_analyst_role() -%}
    {%- set role = analyst_role() -%}
    {%- set exists_sql -%}
        select count(*) from pg_catalog.pg_roles where rolname = '{{ role | replace("'", "''") }}'
    {%- endset -%}
    {%- if execute and run_query(exists_sql).columns[0].values()[0] == 0 -%}
        {#- duplicate_object: another run created it in the meantime. -#}
        {%- set create_sql -%}
            do $cskpi$
            begin
                create role {{ adapter.quote(role) }} nologin;
            exception
                when duplicate_object then null;
                when insufficient_privilege then
                    raise exception using
                        message = 'analyst role {{ role | replace("'", "''") }} does not exist and '
                            || current_user || ' may not create roles',
                        hint = 'create it once as an administrator: CREATE ROLE {{ adapter.quote(role) | replace("'", "''") }} NOLOGIN; '
                            || '(or ALTER ROLE ' || current_user || ' CREATEROLE), or set var analyst_role';
            end
            $cskpi$
        {%- endset -%}
        {% do run_query(create_sql) %}
        {{ log("created role " ~ role ~ " (NOLOGIN)", info=true) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{% macro postgres__grant_analyst_access() -%}
    {%- do ensure_analyst_role() -%}
    {%- set role = adapter.quote(analyst_role()) -%}

    {#- Schemas this project writes to (models, seeds, snapshots) and the raw source schemas. -#}
    {#- Mart models analysts may read, as schema.identifier (seeds never: reference data stay internal). -#}
    {%- set project_schemas = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.package_name == project_name
              and node.resource_type in ('model', 'seed', 'snapshot')
              and node.config.materialized != 'ephemeral'
              and (node.schema | lower) not in project_schemas -%}
            {%- do project_schemas.append(node.schema | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set mart_models = [] -%}
    {%- for node in analyst_readable_models() -%}
        {%- do mart_models.append((node.schema | lower) ~ '.' ~ ((node.alias or node.name) | lower)) -%}
    {%- endfor -%}
    {%- set raw_schemas = [] -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.package_name == project_name and (node.schema | lower) not in raw_schemas
              and (node.schema | lower) not in project_schemas -%}
            {%- do raw_schemas.append(node.schema | lower) -%}
        {%- endif -%}
    {%- endfor -%}

    {#- Existing relations of those schemas (a partial build may not have created all). -#}
    {%- set all_schemas = project_schemas + raw_schemas -%}
    {%- set catalog_sql -%}
        select n.nspname as schema_name, c.relname as relation_name
        from pg_catalog.pg_class as c
        join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where c.relkind in ('r', 'v', 'm', 'p', 'f')
          and n.nspname in ({% for s in all_schemas %}'{{ s }}'{{ ", " if not loop.last }}{% endfor %})
        order by 1, 2
    {%- endset -%}
    {%- set existing_schemas_sql -%}
        select nspname from pg_catalog.pg_namespace
        where nspname in ({% for s in all_schemas %}'{{ s }}'{{ ", " if not loop.last }}{% endfor %})
    {%- endset -%}
    {%- set existing = run_query(existing_schemas_sql).columns[0].values() | list -%}
    {%- set relations = run_query(catalog_sql) -%}

    {%- set readable = [] -%}
    {%- set mart_schemas = [] -%}
    {%- for row in relations.rows -%}
        {%- if (row[0] ~ '.' ~ row[1]) in mart_models -%}
            {%- do readable.append(adapter.quote(row[0]) ~ '.' ~ adapter.quote(row[1])) -%}
            {%- if row[0] not in mart_schemas -%}{%- do mart_schemas.append(row[0]) -%}{%- endif -%}
        {%- endif -%}
    {%- endfor -%}

    {%- set statements = [] -%}
    {%- for s in all_schemas if s in existing -%}
        {%- do statements.append('revoke all on all tables in schema ' ~ adapter.quote(s) ~ ' from ' ~ role) -%}
        {%- do statements.append('revoke all on all sequences in schema ' ~ adapter.quote(s) ~ ' from ' ~ role) -%}
        {%- if s in mart_schemas -%}
            {%- do statements.append('revoke create on schema ' ~ adapter.quote(s) ~ ' from ' ~ role) -%}
            {%- do statements.append('grant usage on schema ' ~ adapter.quote(s) ~ ' to ' ~ role) -%}
        {%- else -%}
            {%- do statements.append('revoke all on schema ' ~ adapter.quote(s) ~ ' from ' ~ role) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for rel in readable -%}
        {%- do statements.append('grant select on ' ~ rel ~ ' to ' ~ role) -%}
    {%- endfor -%}

    {%- if statements -%}
        {% do run_query(statements | join(';\n') ~ ';') %}
    {%- endif -%}
    {{ log("analyst access: role " ~ analyst_role() ~ " can read " ~ readable | length ~ " relation(s) in "
           ~ (mart_schemas | join(', ') or 'no schema'), info=true) }}
    {{ return('') }}
{%- endmacro %}
