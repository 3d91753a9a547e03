{#-
    row_count_matches(compare_model): the model has exactly as many rows as compare_model
    (a fact keeps one row per accepted staging row). One failing row, with a message.
-#}
{% test row_count_matches(model, compare_model) %}

with

model_rows as (

    select count(*) as row_count
    from {{ model }}

),

compare_rows as (

    select count(*) as row_count
    from {{ compare_model }}

),

mismatches as (

    select
        model_rows.row_count as model_rows,
        compare_rows.row_count as compare_rows
    from model_rows
    cross join compare_rows
    where model_rows.row_count != compare_rows.row_count

),

final as (

    select
        model_rows,
        compare_rows,
        {{ dbt.concat([
            "'" ~ model.identifier ~ " has '", as_text('model_rows'),
            "' rows but " ~ compare_model.identifier ~ " has '", as_text('compare_rows')
        ]) }} as message
    from mismatches

)

select * from final

{% endtest %}
