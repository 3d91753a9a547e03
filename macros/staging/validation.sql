{#- Row-local expressions of the staging macros (stage_source.sql). -#}

{#- row_key(columns): primary key as text, composite parts joined with '|'; null if any part is null. -#}
{% macro row_key(columns) -%}
    {%- if columns | length == 1 -%}
        {{ dbt.safe_cast(columns[0], dbt.type_string()) | trim }}
    {%- else -%}
        case when {{ columns | join(' is null or ') }} is null then null else {{
            dbt.concat(join_with_pipe(columns)) | trim
        }} end
    {%- endif -%}
{%- endmacro %}

{% macro join_with_pipe(columns) -%}
    {%- set parts = [] -%}
    {%- for c in columns -%}
        {%- do parts.append(dbt.safe_cast(c, dbt.type_string()) | trim) -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}

{#- is_future(column): timestamp more than var('future_tolerance_minutes') after the row's own _loaded_at. -#}
{% macro is_future(column, loaded_at='loaded_at') -%}
    {{ column }} > {{ dbt.dateadd('minute', checked_var('future_tolerance_minutes', 5), loaded_at) | trim }}
{%- endmacro %}

{#- not_accepted(column, values): true when the column is set and not one of the accepted values. -#}
{% macro not_accepted(column, values) -%}
    ({{ column }} is not null and {{ column }} not in (
        {%- for v in values %}'{{ v }}'{{ ", " if not loop.last }}{% endfor -%}
    ))
{%- endmacro %}

{#- cast_failed(raw, typed): a non-null raw value that could not be cast to the contract type. -#}
{% macro cast_failed(raw, typed) -%}
    ({{ raw }} is not null and {{ typed }} is null)
{%- endmacro %}

{#- quoted_detail(text): a quarantine detail as a SQL string literal (no quotes inside: Spark escapes differently). -#}
{% macro quoted_detail(text) -%}
    {%- if "'" in text or '\\' in text -%}
        {{ exceptions.raise_compiler_error("quarantine detail must not contain quotes or backslashes: " ~ text) }}
    {%- endif -%}
    {{ return("'" ~ text ~ "'") }}
{%- endmacro %}

{#-
    earliest_timestamp(): var earliest_timestamp (default '1980-01-01', checked_var): a timestamp
    before it is quarantined as out_of_range_timestamp (a 1900 call would create 1900 periods).
-#}
{% macro earliest_timestamp() -%}
    {{ return((checked_var('earliest_timestamp', '1980-01-01') | string | trim) or '1980-01-01') }}
{%- endmacro %}

{#- before_earliest(column): the timestamp lies before earliest_timestamp(). -#}
{% macro before_earliest(column) -%}
    {{ column }} < cast('{{ earliest_timestamp() }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#-
    after_now(column): the timestamp lies more than var('future_tolerance_minutes') after the
    current UTC time; applied to _loaded_at too, so a far-future load time is quarantined
    before it can move an incremental watermark.
-#}
{% macro after_now(column) -%}
    {{ column }} > {{ dbt.dateadd('minute', checked_var('future_tolerance_minutes', 5), utc_now()) | trim }}
{%- endmacro %}
