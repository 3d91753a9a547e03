-- One row per contact (int_contacts__unified rows that are contacts) with its KPI
-- measure inputs: 0/1 flags that int_kpi__contact_measures sums per period and the
-- semantic layer sums per any grouping, and the customer and anonymous flag that
-- unique contacts count (distinct known customers + anonymous contacts).

with

contacts as (

    select * from {{ ref('int_contacts__unified') }}

),

final as (

    select
        contact_id,
        contact_date_local as activity_date,
        market_code,
        channel,
        agent_id,
        customer_id,
        1 as contacts,
        case when is_known_customer then 0 else 1 end as anonymous_contacts,
        case when is_handled then 1 else 0 end as contacts_handled,
        case when is_resolved then 1 else 0 end as contacts_resolved,
        case when is_handled and is_known_customer then 1 else 0 end as contacts_handled_known,
        case when is_fcr then 1 else 0 end as contacts_fcr,
        case when category = 'pre_sales' then 1 else 0 end as contacts_pre_sales
    from contacts
    where is_contact

)

select * from final
