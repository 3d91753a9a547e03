{#-
    dedupe_row_number(partition_by, order_by)
    row_number() over the primary key, newest version first. partition_by: list of columns;
    order_by: list of columns, each descending. Rank 1 is the winning version; null ordering is
    explicit (nulls last) so the result is the same on every adapter.
-#}
{% macro dedupe_row_number(partition_by, order_by=['loaded_at']) -%}
    row_number() over (
            partition by {{ partition_by | join(', ') }}
            order by {% for o in order_by %}{{ o }} desc nulls last{{ ", " if not loop.last }}{% endfor %}
        )
{%- endmacro %}
