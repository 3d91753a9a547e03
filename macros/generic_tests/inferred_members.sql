{#-
    inferred_members(key_column, sample_size=5): a dimension's inferred members (is_inferred),
    i.e. keys that calls or tickets name but the owning system lacks. One failing row per market
    with the count and the first few keys, as a message; meant as a warning (the run publishes).
-#}
{% test inferred_members(model, key_column, sample_size=5) %}

{%- set key = key_column %}

with

inferred as (

    select
        {{ key }} as member_key,
        market_code,
        row_number() over (partition by market_code order by {{ key }}) as member_number
    from {{ model }}
    where is_inferred

),

per_market as (

    select
        market_code,
        count(*) as inferred_count,
        {{ ordered_string_agg(
            "case when member_number <= " ~ sample_size ~ " then member_key end", "', '", ['member_key']
        ) }} as sample_keys
    from inferred
    group by market_code

),

final as (

    select
        market_code,
        inferred_count,
        {{ dbt.concat([
            "'" ~ model.identifier ~ ": '", as_text('inferred_count'), "' inferred members in market '",
            as_text('market_code'), "', e.g. '", as_text('sample_keys')
        ]) }} as message
    from per_market

)

select * from final

{% endtest %}
