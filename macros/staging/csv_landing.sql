{#-
    CSV landing files on DuckDB (var raw_format: csv). DuckDB's own CSV reader sniffs every file
    (a ragged line can become the header, a broken quote can change the dialect) and skips the
    lines it cannot parse, so rows vanished without a trace. Instead each file is read as text
    (read_text) and parsed here, in one SQL query, against the contract:
      - the first non-blank line is the header; its names are mapped to the contract's columns
        (any order, extra columns ignored); the delimiter is ';' when the header has ';' and no
        ','; a UTF-8 BOM and CRLF line ends are accepted; every value is text (typing happens in
        stage_source, where a bad value is quarantined as invalid_value);
      - a record may span lines inside a quoted value; a record that does not parse as RFC 4180
        CSV (stray or unbalanced quote) or has another number of fields than the header is one
        row with _landing_problem 'malformed_line'; a multi-line record that fails is re-read
        line by line, so a stray quote cannot swallow the lines after it;
      - every row of a file whose header lacks a contract column gets 'missing_column'.
    Every data line becomes exactly one row, with _landing_file (relative to CSKPI_RAW_DIR),
    _landing_line (first line of the record), _landing_lines (lines it spans) and
    _landing_detail; stage_source quarantines the rows with a _landing_problem.
    csv_landing_row_count() counts the raw rows from the file bytes for the reconciliation.
-#}

{#- csv_landing_active(): true when the DuckDB target reads CSV landing files. -#}
{% macro csv_landing_active() -%}
    {{ return(target.type == 'duckdb' and checked_var('raw_format', 'parquet') == 'csv') }}
{%- endmacro %}

{#- csv_landing_alias(system, table): the alias of the parsed relation (stage_source looks for it). -#}
{% macro csv_landing_alias(system, table) -%}
    {{ return('csv_landing__' ~ system ~ '__' ~ table) }}
{%- endmacro %}

{#- csv_landing_parsed(input_relation): true when input_relation is a csv_landing_relation(). -#}
{% macro csv_landing_parsed(input_relation) -%}
    {{ return(input_relation is string and ') as csv_landing__' in input_relation) }}
{%- endmacro %}

{#- The fields of a record (quoted fields still quoted), one constant pattern per delimiter. -#}
{% macro csv_fields(text, delim) -%}
    case {{ delim }}
        when ';' then regexp_extract_all(';' || {{ text }}, ';("(?:[^"]|"")*"|[^;"]*)', 1)
        else regexp_extract_all(',' || {{ text }}, ',("(?:[^"]|"")*"|[^,"]*)', 1)
    end
{%- endmacro %}

{#- True when the whole record is well-formed CSV: quoted fields ("" escapes a quote) or plain ones. -#}
{% macro csv_well_formed(text, delim) -%}
    case {{ delim }}
        when ';' then regexp_full_match({{ text }}, '(?:"(?:[^"]|"")*"|[^;"]*)(?:;(?:"(?:[^"]|"")*"|[^;"]*))*')
        else regexp_full_match({{ text }}, '(?:"(?:[^"]|"")*"|[^,"]*)(?:,(?:"(?:[^"]|"")*"|[^,"]*))*')
    end
{%- endmacro %}

{#- The value of a field: unquoted, "" -> ", empty -> null (as DuckDB's reader did). -#}
{% macro csv_value(field) -%}
    nullif(
        case
            when {{ field }} like '"%' then replace(substring({{ field }}, 2, length({{ field }}) - 2), '""', '"')
            else {{ field }}
        end,
        ''
    )
{%- endmacro %}

{#- csv_landing_lines(glob): one row per physical line: file, line number (1-based), text without CR/BOM. -#}
{% macro csv_landing_lines(glob) -%}
    select
        landing_file,
        line_no,
        regexp_replace(
            case when line_no = 1 then ltrim(line_text, chr(65279)) else line_text end, '\r$', ''
        ) as line_text
    from (
        select
            filename as landing_file,
            generate_subscripts(string_split(content, chr(10)), 1) as line_no,
            unnest(string_split(content, chr(10))) as line_text
        from read_text('{{ glob }}')
    )
{%- endmacro %}

{#- csv_landing_header(glob): per file its delimiter and header names (first non-blank line). -#}
{% macro csv_landing_header(glob) -%}
    select
        landing_file,
        line_no as header_line,
        delim,
        list_transform({{ csv_fields('line_text', 'delim') }}, lambda f: lower(trim({{ csv_value('f') }}))) as header_names
    from (
        select
            *,
            case when line_text like '%;%' and line_text not like '%,%' then ';' else ',' end as delim,
            row_number() over (partition by landing_file order by line_no) as header_rank
        from ({{ csv_landing_lines(glob) }})
        where line_text != ''
    )
    where header_rank = 1
{%- endmacro %}

{#- csv_landing_header_names(glob): a query of the distinct column names of any file's header. -#}
{% macro csv_landing_header_names(glob) -%}
    select distinct unnest(header_names) from ({{ csv_landing_header(glob) }})
{%- endmacro %}

{#- csv_landing_relation(system, table): the parsed landing files of system/table (a subquery). -#}
{% macro csv_landing_relation(system, table) -%}
    {%- set t = staging_table(system, table) -%}
    {%- set glob = raw_landing_glob(raw_source_node(system, table)) -%}
    {%- set prefix = env_var('CSKPI_RAW_DIR', 'data/raw') ~ '/' -%}
    {%- set names = t.columns | map(attribute='name') | list -%}
    {%- set quoted_names = [] -%}
    {%- for name in names -%}{%- do quoted_names.append("'" ~ name ~ "'") -%}{%- endfor -%}
    {%- set sql -%}
(
    with

    csv_lines as (
        {{ csv_landing_lines(glob) }}
    ),

    -- a line closes a record when the quotes so far in the file are balanced
    csv_parity as (
        select
            *,
            sum(length(line_text) - length(replace(line_text, '"', ''))) over (
                partition by landing_file order by line_no rows between unbounded preceding and current row
            ) % 2 = 0 as closes_record
        from csv_lines
    ),

    csv_grouped as (
        select
            *,
            coalesce(sum(case when closes_record then 1 else 0 end) over (
                partition by landing_file order by line_no rows between unbounded preceding and 1 preceding
            ), 0) as record_no
        from csv_parity
    ),

    csv_records as (
        select
            landing_file,
            record_no,
            min(line_no) as line_no,
            count(*) as physical_lines,
            sum(case when line_text = '' then 0 else 1 end) as data_lines,
            string_agg(line_text, chr(10) order by line_no) as record_text
        from csv_grouped
        group by landing_file, record_no
    ),

    csv_headers as (
        {{ csv_landing_header(glob) }}
    ),

    csv_checked as (
        select
            csv_records.*,
            csv_headers.delim,
            csv_headers.header_names,
            {{ csv_well_formed('record_text', 'delim') }}
                and len({{ csv_fields('record_text', 'delim') }}) = len(header_names) as parses
        from csv_records
        inner join csv_headers
            on csv_records.landing_file = csv_headers.landing_file
            and csv_records.line_no > csv_headers.header_line
        where csv_records.record_text != ''
    ),

    csv_rows as (
        select landing_file, line_no, data_lines, record_text, delim, header_names
        from csv_checked
        where parses or physical_lines = 1
        union all
        -- a multi-line record that does not parse: an unbalanced quote, re-read line by line
        select
            csv_grouped.landing_file,
            csv_grouped.line_no,
            1 as data_lines,
            csv_grouped.line_text as record_text,
            csv_checked.delim,
            csv_checked.header_names
        from csv_checked
        inner join csv_grouped
            on csv_checked.landing_file = csv_grouped.landing_file
            and csv_checked.record_no = csv_grouped.record_no
        where not csv_checked.parses and csv_checked.physical_lines > 1 and csv_grouped.line_text != ''
    ),

    csv_split as (
        select
            *,
            {{ csv_well_formed('record_text', 'delim') }} as well_formed,
            {{ csv_fields('record_text', 'delim') }} as fields,
            list_filter([{{ quoted_names | join(', ') }}], lambda c: not list_contains(header_names, c)) as missing
        from csv_rows
    )

    select
        {%- for name in names %}
        {{ csv_value('fields[list_position(header_names, ' ~ "'" ~ name ~ "'" ~ ')]') }} as {{ name }},
        {%- endfor %}
        replace(landing_file, '{{ prefix }}', '') as _landing_file,
        line_no as _landing_line,
        data_lines as _landing_lines,
        case
            when not well_formed or len(fields) != len(header_names) then 'malformed_line'
            when len(missing) > 0 then 'missing_column'
        end as _landing_problem,
        case
            when not well_formed then 'a stray or unbalanced quote: the line is not valid CSV'
            when len(fields) != len(header_names)
                then 'the line has ' || len(fields) || ' fields, the header ' || len(header_names)
            when len(missing) > 0 then 'the header of this file lacks column(s) ' || array_to_string(missing, ', ')
        end as _landing_detail
    from csv_split
) as {{ csv_landing_alias(system, table) }}
    {%- endset -%}
    {{ return(sql) }}
{%- endmacro %}

{#-
    csv_landing_row_count(system, table): the raw rows of the landing files, counted from the
    bytes: the non-blank lines of every file minus its header, minus the extra lines of the
    records that span several lines (a quoted line break). The line count does not depend on
    the parser, so a row the parser (or anything after it) drops makes raw_rows larger than
    staged + quarantined rows and the reconciliation fails.
-#}
{% macro csv_landing_row_count(system, table) -%}
    {%- set glob = raw_landing_glob(raw_source_node(system, table)) -%}
    (
        (
            select coalesce(sum(greatest(non_blank_lines - 1, 0)), 0)
            from (
                select landing_file, count(*) as non_blank_lines
                from ({{ csv_landing_lines(glob) }})
                where line_text != ''
                group by landing_file
            )
        )
        - (
            select coalesce(sum(_landing_lines - 1), 0)
            from {{ csv_landing_relation(system, table) }}
        )
    )
{%- endmacro %}
