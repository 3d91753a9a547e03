{#-
    contacts_jump_within_factor(kpi_codes, factor, min_contacts, lag_days=7): on kpi_metrics.
    Contacts per market and day are the denominator of the daily all-channel rows of the first
    KPI in kpi_codes that the market has (KPIs whose denominator is the number of contacts).
    One failing row per market and day whose contacts grow or shrink by more than factor
    against the day lag_days before. The default lag compares the same weekday a week earlier:
    quiet Sundays and busy Mondays differ by design, a broken export does not. Days without a
    value lag_days before, and pairs where both days have fewer than min_contacts contacts
    (small numbers are noisy), are not compared.
-#}
{% test contacts_jump_within_factor(model, kpi_codes, factor, min_contacts, lag_days=7) %}

{#- the yml passes the vars: checked here, the cast below would turn a bad value into 0 -#}
{%- do check_var('contact_jump_factor', factor) %}
{%- do check_var('contact_jump_min_contacts', min_contacts) %}
{%- set factor = factor | float %}
{%- set min_contacts = min_contacts | float %}

with

kpi_rows as (

    select
        market_code,
        kpi_code,
        cast(period_start as date) as contact_date,
        denominator as contacts
    from {{ model }}
    where
        period_grain = 'day'
        and channel = 'all'
        and denominator is not null
        and kpi_code in ({% for code in kpi_codes %}'{{ code }}'{{ ", " if not loop.last }}{% endfor %})

),

preferred as (

    select
        market_code,
        contact_date,
        contacts,
        case kpi_code
            {%- for code in kpi_codes %}
                when '{{ code }}' then {{ loop.index }}
            {%- endfor %}
        end as preference
    from kpi_rows

),

market_choice as (

    select
        market_code,
        min(preference) as preference
    from preferred
    group by market_code

),

daily_contacts as (

    select
        preferred.market_code,
        preferred.contact_date,
        preferred.contacts
    from preferred
    inner join market_choice
        on
            preferred.market_code = market_choice.market_code
            and preferred.preference = market_choice.preference

),

pairs as (

    select
        current_day.market_code,
        previous_day.contact_date as previous_date,
        previous_day.contacts as previous_contacts,
        current_day.contact_date,
        current_day.contacts
    from daily_contacts as current_day
    inner join daily_contacts as previous_day
        on
            current_day.market_code = previous_day.market_code
            and current_day.contact_date = cast({{ dbt.dateadd('day', lag_days, 'previous_day.contact_date') }} as date)

),

jumps as (

    select *
    from pairs
    where
        (previous_contacts >= {{ min_contacts }} or contacts >= {{ min_contacts }})
        and (contacts > previous_contacts * {{ factor }} or previous_contacts > contacts * {{ factor }})

),

final as (

    select
        market_code,
        previous_date,
        previous_contacts,
        contact_date,
        contacts,
        {{ dbt.concat([
            "market_code", "' '", as_text('contact_date'),
            "': contacts '", as_text('cast(previous_contacts as bigint)'),
            "' on '", as_text('previous_date'),
            "' -> '", as_text('cast(contacts as bigint)'),
            "' (factor > " ~ ('%g' % factor) ~ ")'"
        ]) }} as message
    from jumps

)

select * from final

{% endtest %}
