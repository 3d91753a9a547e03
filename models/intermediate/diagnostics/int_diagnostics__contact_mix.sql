-- Contact mix per ISO week and month, market: all contacts and the contacts a
-- self-service page could have answered (categories order_status and delivery),
-- for the diagnostic signal order_status_delivery_share.

with

contacts as (

    select * from {{ ref('fct_contacts') }}

),

grains as (

    {{ kpi_grains_select(['week', 'month']) }}

),

expanded as (

    select
        grains.period_grain,
        {{ period_start_for_grain('contacts.contact_date_local') }} as period_start,
        contacts.market_code,
        contacts.category
    from contacts
    cross join grains
    where contacts.is_contact

),

final as (

    select
        period_grain,
        period_start,
        market_code,
        count(*) as contacts,
        sum(
            case when category in ('order_status', 'delivery') then 1 else 0 end
        ) as contacts_order_status_delivery
    from expanded
    group by
        period_grain,
        period_start,
        market_code

)

select * from final
