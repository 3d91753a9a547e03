-- Every quarantined raw row of every raw table of the contract, with the first rule it failed
-- (docs/contract.md).

{%- set quarantine_models = [] %}
{%- for path in raw_contract()['tables'] %}
    {%- do quarantine_models.append('qrt_' ~ path.replace('/', '__')) %}
{%- endfor %}

with

{% for m in quarantine_models %}
    {{ m }} as (

        select * from {{ ref(m) }}

    ),

{% endfor %}
unioned as (

    {% for m in quarantine_models %}
        select
            source_table,
            row_key,
            reason,
            detail,
            loaded_at,
            raw_row
        from {{ m }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select * from unioned

)

select * from final
