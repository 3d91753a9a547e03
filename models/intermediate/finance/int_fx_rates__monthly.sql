-- One row per currency and month that has a rate to EUR: the published rates
-- (stg_reference__fx_rates) plus, after each currency's last published month, that rate carried
-- forward for var('fx_carry_forward_months') months and flagged provisional. A later month has
-- no rate, so a row needing it fails the check fx_rate_covers.

with

published as (

    select * from {{ ref('stg_reference__fx_rates') }}

),

last_published as (

    select
        currency,
        max(rate_month) as last_rate_month
    from published
    group by currency

),

carry_offsets as (

    {%- for months_ahead in range(1, checked_var('fx_carry_forward_months', 3) | int + 1) %}
    select {{ months_ahead }} as months_ahead
    {{- ' union all' if not loop.last }}
    {%- else %}
    select 0 as months_ahead from (select 1 as no_column) as no_rows where 1 = 0
    {%- endfor %}

),

carried as (

    select
        cast({{ dbt.dateadd('month', 'carry_offsets.months_ahead', 'last_published.last_rate_month') }} as date)
            as rate_month,
        last_published.currency,
        published.eur_per_unit,
        true as is_provisional,
        last_published.last_rate_month as published_month
    from last_published
    inner join published
        on
            last_published.currency = published.currency
            and last_published.last_rate_month = published.rate_month
    cross join carry_offsets

),

published_rates as (

    select
        rate_month,
        currency,
        eur_per_unit,
        false as is_provisional,
        rate_month as published_month
    from published

),

final as (

    select * from published_rates
    union all
    select * from carried

)

select * from final
