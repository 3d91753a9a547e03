-- Hand-written DuckDB baseline ("the engine's floor") for benchmarks/run_benchmarks.py.
-- One script computes the monthly KPI table per market and channel (each channel and 'all')
-- straight from the landing files, with the warehouse's de-duplication (per primary key the
-- latest _loaded_at, then the latest updated_at, wins) and its heavy joins: first public agent
-- reply per ticket, reopen/escalation flags over all ticket events, the FCR look-ahead of 7 days
-- across channels, CSAT attributed to the rated ticket or call, orders per market.
-- No quarantine, no PII hashing, no tests: this is the least work that gives comparable KPIs.
-- {raw} and {seeds} are replaced by the runner. DuckDB-only syntax (qualify) is fine here.

create or replace table baseline_monthly_kpis as
with

markets as (
    select market_code, timezone from read_csv('{seeds}/markets.csv', header = true)
),

calls as (
    select *
    from read_parquet('{raw}/telephony/calls/*.parquet', union_by_name = true)
    where call_id is not null
    qualify row_number() over (partition by call_id order by _loaded_at desc nulls last) = 1
),

tickets as (
    select *
    from read_parquet('{raw}/helpdesk/tickets/*.parquet', union_by_name = true)
    where ticket_id is not null
    qualify row_number() over (
        partition by ticket_id order by _loaded_at desc nulls last, updated_at desc nulls last
    ) = 1
),

events as (
    select *
    from read_parquet('{raw}/helpdesk/ticket_events/*.parquet', union_by_name = true)
    where event_id is not null
    qualify row_number() over (partition by event_id order by _loaded_at desc nulls last) = 1
),

ratings as (
    select *
    from read_parquet('{raw}/helpdesk/satisfaction_ratings/*.parquet', union_by_name = true)
    where rating_id is not null
    qualify row_number() over (partition by rating_id order by _loaded_at desc nulls last) = 1
),

orders as (
    select *
    from read_parquet('{raw}/shop/orders/*.parquet', union_by_name = true)
    where order_id is not null
    qualify row_number() over (
        partition by order_id order by _loaded_at desc nulls last, updated_at desc nulls last
    ) = 1
),

call_facts as (
    select
        c.call_id,
        c.customer_id,
        c.market_code,
        'phone' as channel,
        c.started_at,
        cast(date_trunc('month', timezone(m.timezone, c.started_at at time zone 'UTC')) as date) as month,
        c.outcome = 'abandoned' and coalesce(c.queue_seconds, 0) < 5 as is_short_abandon,
        c.outcome = 'answered' as is_answered_raw,
        coalesce(c.queue_seconds, 0) as queue_seconds,
        coalesce(c.talk_seconds, 0) + coalesce(c.hold_seconds, 0) + coalesce(c.after_call_work_seconds, 0)
            as agent_seconds,
        c.disposition
    from calls c
    inner join markets m on c.market_code = m.market_code
    where c.direction = 'inbound' and c.queue_entered_at is not null
),

incoming_calls as (
    select
        *,
        is_answered_raw as is_answered,
        is_answered_raw and queue_seconds <= 20 as is_within_sl,
        is_answered_raw and disposition = 'resolved' as is_resolved
    from call_facts
    where not is_short_abandon
),

ticket_events as (
    select
        ticket_id,
        min(case when event_type = 'agent_reply' and is_public then event_at end) as first_reply_at,
        max(case when event_type = 'status_change' and status_to = 'solved' then 1 else 0 end) as ever_solved,
        max(case
            when event_type = 'status_change' and status_from = 'solved' and status_to not in ('solved', 'closed')
                then 1 else 0 end) as reopened,
        max(case when event_type = 'escalation' then 1 else 0 end) as escalated
    from events
    group by ticket_id
),

ticket_facts as (
    select
        t.ticket_id,
        t.customer_id,
        t.market_code,
        t.channel,
        t.created_at,
        cast(date_trunc('month', timezone(m.timezone, t.created_at at time zone 'UTC')) as date) as month,
        e.first_reply_at is not null as is_handled,
        t.status in ('solved', 'closed') as is_resolved,
        date_diff('second', t.created_at, e.first_reply_at) as first_response_seconds,
        coalesce(e.ever_solved, 0) = 1 as is_ever_solved,
        coalesce(e.ever_solved, 0) = 1 and coalesce(e.reopened, 0) = 1 as is_reopened,
        coalesce(e.escalated, 0) = 1 as is_escalated
    from tickets t
    inner join markets m on t.market_code = m.market_code
    left join ticket_events e on t.ticket_id = e.ticket_id
),

contacts as (
    select
        'call:' || call_id as contact_id, customer_id, market_code, channel, started_at as contact_at, month,
        is_answered as is_handled, is_resolved
    from incoming_calls
    union all
    select
        'ticket:' || ticket_id, customer_id, market_code, channel, created_at, month, is_handled, is_resolved
    from ticket_facts
),

repeats as (
    select distinct a.contact_id
    from contacts a
    inner join contacts b
        on a.customer_id = b.customer_id
        and b.contact_at > a.contact_at
        and b.contact_at <= a.contact_at + interval 7 day
),

contact_flags as (
    select
        c.*,
        c.customer_id is not null and c.is_handled as is_fcr_base,
        c.customer_id is not null and c.is_handled and c.is_resolved and r.contact_id is null as is_fcr
    from contacts c
    left join repeats r on c.contact_id = r.contact_id
),

rating_facts as (
    select
        coalesce(t.market_code, c.market_code) as market_code,
        coalesce(t.channel, 'phone') as channel,
        cast(date_trunc('month', timezone(m.timezone, r.rated_at at time zone 'UTC')) as date) as month,
        r.score >= 4 as is_positive
    from ratings r
    left join tickets t on r.ticket_id = t.ticket_id
    left join calls c on r.call_id = c.call_id
    inner join markets m on coalesce(t.market_code, c.market_code) = m.market_code
),

order_facts as (
    select
        o.market_code,
        cast(date_trunc('month', timezone(m.timezone, o.ordered_at at time zone 'UTC')) as date) as month,
        count(*) as orders_placed
    from orders o
    inner join markets m on o.market_code = m.market_code
    group by 1, 2
),

call_kpis as (
    select
        month, market_code, coalesce(channel, 'all') as channel,
        count(*) as calls_incoming,
        count(*) filter (where is_answered) as calls_answered,
        count(*) filter (where is_within_sl) as calls_answered_within_sl,
        sum(queue_seconds) as queue_seconds_incoming,
        sum(agent_seconds) filter (where is_answered) as agent_seconds_answered
    from incoming_calls
    group by grouping sets ((month, market_code, channel), (month, market_code))
),

ticket_kpis as (
    select
        month, market_code, coalesce(channel, 'all') as channel,
        count(*) as tickets_created,
        count(*) filter (where is_resolved) as tickets_resolved,
        count(first_response_seconds) as tickets_first_replied,
        sum(first_response_seconds) as first_response_seconds_sum,
        count(*) filter (where is_ever_solved) as tickets_ever_solved,
        count(*) filter (where is_reopened) as tickets_reopened,
        count(*) filter (where is_escalated) as tickets_escalated
    from ticket_facts
    group by grouping sets ((month, market_code, channel), (month, market_code))
),

contact_kpis as (
    select
        month, market_code, coalesce(channel, 'all') as channel,
        count(*) as contacts,
        count(distinct customer_id) + count(*) filter (where customer_id is null) as unique_contacts,
        count(*) filter (where is_fcr_base) as fcr_denominator,
        count(*) filter (where is_fcr) as fcr_numerator
    from contact_flags
    group by grouping sets ((month, market_code, channel), (month, market_code))
),

csat_kpis as (
    select
        month, market_code, coalesce(channel, 'all') as channel,
        count(*) as csat_ratings,
        count(*) filter (where is_positive) as csat_positive
    from rating_facts
    group by grouping sets ((month, market_code, channel), (month, market_code))
),

keys as (
    select month, market_code, channel from call_kpis
    union
    select month, market_code, channel from ticket_kpis
    union
    select month, market_code, channel from contact_kpis
    union
    select month, market_code, channel from csat_kpis
)

select
    k.month,
    k.market_code,
    k.channel,
    ck.calls_incoming,
    100.0 * ck.calls_answered_within_sl / nullif(ck.calls_incoming, 0) as service_level,
    ck.queue_seconds_incoming / nullif(ck.calls_incoming, 0) as avg_response_time,
    ck.agent_seconds_answered / nullif(ck.calls_answered, 0) as aht_agent,
    tk.tickets_created,
    tk.first_response_seconds_sum / nullif(tk.tickets_first_replied, 0) as first_response_time,
    100.0 * tk.tickets_resolved / nullif(tk.tickets_created, 0) as ticket_resolution_rate,
    100.0 * tk.tickets_reopened / nullif(tk.tickets_ever_solved, 0) as reopen_rate,
    100.0 * tk.tickets_escalated / nullif(tk.tickets_created, 0) as escalation_rate,
    co.contacts,
    100.0 * (co.contacts - co.unique_contacts) / nullif(co.contacts, 0) as repeat_contact_rate,
    100.0 * co.fcr_numerator / nullif(co.fcr_denominator, 0) as first_contact_resolution,
    100.0 * cs.csat_positive / nullif(cs.csat_ratings, 0) as csat,
    co.contacts / nullif(case when k.channel = 'all' then o.orders_placed end, 0) as interactions_per_order
from keys k
left join call_kpis ck using (month, market_code, channel)
left join ticket_kpis tk using (month, market_code, channel)
left join contact_kpis co using (month, market_code, channel)
left join csat_kpis cs using (month, market_code, channel)
left join order_facts o on k.month = o.month and k.market_code = o.market_code
order by 1, 2, 3;
