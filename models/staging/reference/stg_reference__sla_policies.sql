-- SLA policies: the shipped seed sla_policies extended and overridden by key (market, channel,
-- priority, metric, valid_from) by the landed reference/sla_policies rows. An empty channel or
-- priority means all; codes are trimmed and lower-cased (market codes upper-cased).
-- specificity ranks a policy for a ticket: a market over *, then a channel over all, then a
-- priority over all (int_tickets__slas takes the most specific, then the latest valid_from).

with

shipped as (

    select * from {{ ref('sla_policies') }}

),

landed as (

    {{ landed_reference('sla_policies') }}

),

landed_rows as (

    select
        upper(trim(landed.market_code)) as market_code,
        coalesce(nullif(lower(trim(landed.channel)), ''), 'all') as channel,
        coalesce(nullif(lower(trim(landed.priority)), ''), 'all') as priority,
        lower(trim(landed.metric)) as metric,
        landed.target_minutes,
        landed.business_hours,
        landed.valid_from,
        'landed' as origin
    from landed

),

shipped_kept as (

    select
        shipped.market_code,
        shipped.channel,
        shipped.priority,
        shipped.metric,
        shipped.target_minutes,
        shipped.business_hours,
        shipped.valid_from,
        'shipped' as origin
    from shipped
    left join landed_rows
        on
            shipped.market_code = landed_rows.market_code
            and shipped.channel = landed_rows.channel
            and shipped.priority = landed_rows.priority
            and shipped.metric = landed_rows.metric
            and shipped.valid_from = landed_rows.valid_from
    where landed_rows.market_code is null

),

unioned as (

    select * from shipped_kept
    union all
    select * from landed_rows

),

final as (

    select
        {{ dbt.concat([
            'market_code', "'|'", 'channel', "'|'", 'priority', "'|'", 'metric', "'|'", as_text('valid_from')
        ]) }} as policy_key,
        market_code,
        channel,
        priority,
        metric,
        target_minutes,
        business_hours,
        valid_from,
        origin,
        (case when market_code = '*' then 0 else 4 end)
        + (case when channel = 'all' then 0 else 2 end)
        + (case when priority = 'all' then 0 else 1 end) as specificity
    from unioned

)

select * from final
