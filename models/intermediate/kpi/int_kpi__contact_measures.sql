-- Contact numerators and denominators per period, market and channel (each
-- channel and all): the sums of the measure inputs of int_kpi__contact_facts, and
-- unique contacts (distinct known customers + anonymous contacts, per period and
-- slice).

with

contact_facts as (

    select * from {{ ref('int_kpi__contact_facts') }}

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
        {{ period_start_for_grain('contact_facts.activity_date') }} as period_start,
        contact_facts.market_code,
        case
            when channel_scopes.channel_scope = 'all' then 'all'
            else contact_facts.channel
        end as channel,
        contact_facts.customer_id,
        contact_facts.contacts,
        contact_facts.anonymous_contacts,
        contact_facts.contacts_handled,
        contact_facts.contacts_resolved,
        contact_facts.contacts_handled_known,
        contact_facts.contacts_fcr,
        contact_facts.contacts_pre_sales
    from contact_facts
    cross join grains
    cross join channel_scopes

),

final as (

    select
        period_grain,
        period_start,
        market_code,
        channel,
        sum(contacts) as contacts,
        count(distinct customer_id) + sum(anonymous_contacts) as unique_contacts,
        sum(contacts_handled) as contacts_handled,
        sum(contacts_resolved) as contacts_resolved,
        sum(contacts_handled_known) as contacts_handled_known,
        sum(contacts_fcr) as contacts_fcr,
        sum(contacts_pre_sales) as contacts_pre_sales
    from expanded
    group by
        period_grain,
        period_start,
        market_code,
        channel

)

select * from final
