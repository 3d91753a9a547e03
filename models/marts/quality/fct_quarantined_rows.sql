-- Every quarantined raw row of every raw table, with the first rule it failed (SPEC §5).

{%- set quarantine_models = [
    'qrt_helpdesk__tickets',
    'qrt_helpdesk__ticket_events',
    'qrt_helpdesk__satisfaction_ratings',
    'qrt_telephony__calls',
    'qrt_shop__orders',
    'qrt_shop__customers',
    'qrt_workforce__agents',
    'qrt_workforce__employee_surveys',
    'qrt_finance__operating_costs',
    'qrt_surveys__nps_responses',
    'qrt_surveys__ces_responses',
] %}

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
