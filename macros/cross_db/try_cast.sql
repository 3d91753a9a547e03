{#-
    try_cast_to(expr, type): expr cast to a contract type ('varchar', 'integer', 'double',
    'boolean', 'date', 'timestamp'), null when the value does not convert, on every adapter
    (a plain cast would stop the whole build on one bad value). The staging layer quarantines
    a non-null raw value whose try_cast_to is null as invalid_value.
      integer    integral values only: '12' and '12.0' are 12, '12.5' and 'abc' are null (a cast
                 would round or truncate), as is a value outside the 32-bit range.
      timestamp  UTC wall time: an offset is applied ('2024-03-01T10:00:00+02:00' is 08:00), a
                 value without one is taken as UTC (the session TimeZone is pinned to UTC in
                 profiles.yml, so the host time zone plays no part).
-#}
{% macro try_cast_to(expr, type) -%}
    {%- if type not in ['varchar', 'integer', 'double', 'boolean', 'date', 'timestamp'] -%}
        {{ exceptions.raise_compiler_error("try_cast_to: unknown contract type '" ~ type ~ "' of " ~ expr) }}
    {%- endif -%}
    {{ return(adapter.dispatch('try_cast_to', 'cskpi')(expr, type)) }}
{%- endmacro %}

{#- DuckDB: try_cast; timestamps through timestamptz so an offset is applied. -#}
{% macro duckdb__try_cast_to(expr, type) -%}
    {%- if type == 'integer' -%}
        case
            when try_cast({{ expr }} as double) = trunc(try_cast({{ expr }} as double))
                then try_cast(try_cast({{ expr }} as double) as {{ staging_type('integer') }})
        end
    {%- elif type == 'timestamp' -%}
        timezone('UTC', try_cast({{ expr }} as timestamptz))
    {%- else -%}
        try_cast({{ expr }} as {{ staging_type(type) }})
    {%- endif -%}
{%- endmacro %}

{#-
    Spark (3.4+ has try_cast; pyspark 3.5 here): a non-ANSI cast truncates '12.5' to 12, so
    integers go through double like on DuckDB. Spark timestamps are instants shown in the
    session time zone (spark.sql.session.timeZone: UTC), so an offset is applied by the cast.
-#}
{% macro spark__try_cast_to(expr, type) -%}
    {%- if type == 'integer' -%}
        case
            when try_cast({{ expr }} as double) = floor(try_cast({{ expr }} as double))
                then try_cast(try_cast({{ expr }} as double) as {{ staging_type('integer') }})
        end
    {%- else -%}
        try_cast({{ expr }} as {{ staging_type(type) }})
    {%- endif -%}
{%- endmacro %}

{#-
    PostgreSQL has no try_cast (pg_input_is_valid() is 16+): the value's text is checked by a
    pattern of what the cast accepts, and only then cast, inside a case (which guards evaluation).
    Raw tables loaded by `cskpi load` are typed, so this matters for raw tables loaded otherwise
    (text columns). A timestamp with an offset becomes the instant in UTC; one without is taken
    as is (a cast to timestamp, so the session time zone plays no part).
-#}
{% macro postgres__try_cast_to(expr, type) -%}
    {%- set text = 'btrim(cast(' ~ expr ~ ' as text))' -%}
    {%- if type == 'varchar' -%}
        cast({{ expr }} as text)
    {%- elif type == 'integer' -%}
        case
            when {{ text }} ~ '^[+-]?[0-9]{1,10}(\.0*)?$'
                then case
                    when cast({{ text }} as numeric) between -2147483648 and 2147483647
                        then cast(cast({{ text }} as numeric) as integer)
                end
        end
    {%- elif type == 'double' -%}
        case
            when {{ text }} ~ '^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,2})?$'
                then cast({{ text }} as double precision)
        end
    {%- elif type == 'boolean' -%}
        case
            when lower({{ text }}) in ('t', 'true', 'y', 'yes', 'on', '1', 'f', 'false', 'n', 'no', 'off', '0')
                then cast({{ text }} as boolean)
        end
    {%- elif type == 'date' -%}
        case
            when {{ postgres__valid_date_text(text) }}
                then cast(substr({{ text }}, 1, 10) as date)
        end
    {%- else -%}
        case
            when {{ text }} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?([zZ]|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?$'
                then case
                    when not {{ postgres__valid_date_text(text) }} then null
                    when {{ text }} ~ '[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$'
                        then cast({{ text }} as timestamp with time zone) at time zone 'UTC'
                    else cast({{ text }} as timestamp)
                end
        end
    {%- endif -%}
{%- endmacro %}

{#-
    postgres__valid_date_text(text): the text starts with a real calendar date YYYY-MM-DD
    (year 1 or later; day within its month); the casts run only once the pattern holds.
-#}
{% macro postgres__valid_date_text(text) -%}
    case
        when {{ text }} ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])($|[ T])'
            and substr({{ text }}, 1, 4) <> '0000'
            then cast(substr({{ text }}, 9, 2) as integer) <= case
                when substr({{ text }}, 6, 2) in ('04', '06', '09', '11') then 30
                when substr({{ text }}, 6, 2) <> '02' then 31
                when cast(substr({{ text }}, 1, 4) as integer) % 400 = 0 then 29
                when cast(substr({{ text }}, 1, 4) as integer) % 100 = 0 then 28
                when cast(substr({{ text }}, 1, 4) as integer) % 4 = 0 then 29
                else 28
            end
        else false
    end
{%- endmacro %}
