{#-
    FX coverage of the rows that are converted to EUR (int_orders__localized,
    int_operating_costs__eur; rates: int_fx_rates__monthly). One failing row per currency and
    month, with a `message` naming both, so a missing rate is never a silent null EUR amount.
-#}

{#- fx_rate_covers(amount_column, currency_column, month_column): every row with an amount has a rate
    (ERROR: add the rate to reference/fx_rates). -#}
{% test fx_rate_covers(model, amount_column, currency_column, month_column) %}

with

uncovered as (

    select
        {{ currency_column }} as currency,
        {{ month_column }} as rate_month,
        count(*) as rows_without_rate
    from {{ model }}
    where {{ amount_column }} is not null and eur_per_unit is null
    group by {{ currency_column }}, {{ month_column }}

),

final as (

    select
        *,
        {{ dbt.concat([
            "'no FX rate to EUR for currency '", as_text('currency'), "' in month '", as_text('rate_month'),
            "' (" ~ model.identifier ~ ": '", as_text('rows_without_rate'),
            "' rows); add it to reference/fx_rates'"
        ]) }} as message
    from uncovered

)

select * from final

{% endtest %}

{#- fx_rate_not_provisional(currency_column, month_column): rows converted with a rate carried forward
    past the currency's last published month (WARN: the ECB history ends before these months). -#}
{% test fx_rate_not_provisional(model, currency_column, month_column) %}

with

provisional as (

    select
        {{ currency_column }} as currency,
        {{ month_column }} as rate_month,
        fx_published_month,
        count(*) as provisional_rows
    from {{ model }}
    where fx_is_provisional
    group by {{ currency_column }}, {{ month_column }}, fx_published_month

),

final as (

    select
        *,
        {{ dbt.concat([
            "'provisional FX rate for currency '", as_text('currency'), "' in month '", as_text('rate_month'),
            "': carried forward from '", as_text('fx_published_month'),
            "' (" ~ model.identifier ~ ": '", as_text('provisional_rows'), "' rows)'"
        ]) }} as message
    from provisional

)

select * from final

{% endtest %}
