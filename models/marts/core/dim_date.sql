-- Local calendar: one row per day from the Monday of the ISO week holding the
-- first day of the first month to the last day of the last month that holds any
-- contact, order, survey or cost (so every day, week and month start is a row).

with

contacts as (

    select * from {{ ref('int_contacts__unified') }}

),

orders as (

    select * from {{ ref('int_orders__localized') }}

),

responses as (

    select * from {{ ref('int_survey_responses__unified') }}

),

employee_surveys as (

    select * from {{ ref('int_employee_surveys__enriched') }}

),

costs as (

    select * from {{ ref('int_operating_costs__eur') }}

),

tickets as (

    select * from {{ ref('int_tickets__enriched') }}

),

activity_dates as (

    select contact_date_local as activity_date from contacts
    union all
    select ordered_date_local as activity_date from orders
    union all
    select responded_date_local as activity_date from responses
    union all
    select survey_date as activity_date from employee_surveys
    union all
    select cost_month as activity_date from costs
    union all
    select solved_date_local as activity_date from tickets

),

bounds as (

    select
        {{ iso_week_start(month_start('min(activity_date)')) }} as first_day,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, month_start('max(activity_date)'))) }}
            as date
        ) as last_day
    from activity_dates

),

day_numbers as (

    {{ integer_series(40000) }}

),

days as (

    select cast({{ dbt.dateadd('day', 'day_numbers.n', 'bounds.first_day') }} as date) as date_day
    from bounds
    cross join day_numbers
    where {{ dbt.dateadd('day', 'day_numbers.n', 'bounds.first_day') }} <= bounds.last_day

),

calendar as (

    select
        date_day,
        {{ iso_week_start('date_day') }} as iso_week_start,
        {{ month_start('date_day') }} as month_start,
        cast(extract(year from date_day) as {{ dbt.type_int() }}) as year_number,
        cast(extract(month from date_day) as {{ dbt.type_int() }}) as month_of_year,
        cast(extract(day from date_day) as {{ dbt.type_int() }}) as day_of_month
    from days

),

with_weekday as (

    select
        *,
        {{ dbt.datediff('iso_week_start', 'date_day', 'day') }} as days_since_week_start  -- noqa: LT05
    from calendar

),

final as (

    select
        date_day,
        iso_week_start,
        month_start,
        year_number,
        month_of_year,
        day_of_month,
        days_since_week_start + 1 as iso_day_of_week,
        coalesce(days_since_week_start >= 5, false) as is_weekend
    from with_weekday

)

select * from final
