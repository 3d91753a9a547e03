-- Contact numerators and denominators per period, market and channel (each
-- channel and all): contacts, unique contacts (distinct known customers +
-- anonymous contacts, per period and slice), handled, resolved, FCR, pre-sales.

with

contacts as (

    select * from {{ ref('int_contacts__unified') }}

),

grains as (

    {{ kpi_grains_select() }}

),

channel_scopes as (

    {{ channel_scopes_select() }}

),

expanded as (

    select
        grains.period_grain,
        {{ period_start_for_grain('contacts.contact_date_local') }} as period_start,
        contacts.market_code,
        case
            when channel_scopes.channel_scope = 'all' then 'all'
            else contacts.channel
        end as channel,
        contacts.customer_id,
        contacts.is_known_customer,
        contacts.is_handled,
        contacts.is_resolved,
        contacts.is_fcr,
        contacts.category
    from contacts
    cross join grains
    cross join channel_scopes
    where contacts.is_contact

),

final as (

    select
        period_grain,
        period_start,
        market_code,
        channel,
        count(*) as contacts,
        count(distinct customer_id)
        + sum(case when is_known_customer then 0 else 1 end) as unique_contacts,
        sum(case when is_handled then 1 else 0 end) as contacts_handled,
        sum(case when is_resolved then 1 else 0 end) as contacts_resolved,
        sum(case when is_handled and is_known_customer then 1 else 0 end) as contacts_handled_known,
        sum(case when is_fcr then 1 else 0 end) as contacts_fcr,
        sum(case when category = 'pre_sales' then 1 else 0 end) as contacts_pre_sales
    from expanded
    group by
        period_grain,
        period_start,
        market_code,
        channel

)

select * from final
