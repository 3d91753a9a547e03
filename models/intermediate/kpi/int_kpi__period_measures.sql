-- All KPI numerators and denominators side by side: one row per period grain,
-- period start, market and channel (incl. all) in which anything happened.
-- Missing measures are 0, so every KPI formula can be evaluated on every row.

{%- set measure_models = {
    'call_measures': ['calls_offered', 'calls_short_abandoned', 'calls_incoming',
        'calls_answered', 'calls_answered_within_sl', 'calls_abandoned_counted',
        'calls_resolved', 'calls_outcome_known', 'calls_outcome_known_customer', 'queue_seconds_incoming', 'queue_seconds_answered',
        'handle_seconds_incoming', 'agent_handle_seconds_answered',
        'talk_hold_seconds_answered', 'calls_incoming_outside_hours', 'calls_incoming_hours_known'],
    'ticket_measures': ['tickets_created', 'tickets_first_reply_within_threshold',
        'tickets_first_replied', 'first_response_seconds_sum', 'tickets_handled', 'tickets_handled_known_customer',
        'tickets_resolved', 'tickets_ever_solved', 'tickets_reopened',
        'tickets_escalated', 'tickets_solved', 'resolution_seconds_sum',
        'first_reply_business_seconds_sum', 'tickets_first_replied_business', 'resolution_business_seconds_sum', 'tickets_solved_business',
        'sla_first_reply_met', 'sla_first_reply_decided', 'sla_resolution_met', 'sla_resolution_decided'],
    'contact_measures': ['contacts', 'unique_contacts', 'contacts_handled',
        'contacts_resolved', 'contacts_handled_known', 'contacts_fcr',
        'contacts_pre_sales'],
    'survey_measures': ['csat_ratings', 'csat_positive_ratings', 'nps_responses',
        'nps_promoters', 'nps_detractors', 'ces_responses', 'ces_score_sum',
        'esat_responses', 'esat_positive_responses'],
    'order_measures': ['orders_placed'],
    'monthly_measures': ['operating_cost_eur', 'operating_cost_rows', 'customers_active_at_start',
        'customers_churned'],
} %}
{%- set fill_columns = [] %}
{%- for model_name, columns in measure_models.items() %}
    {%- for column in columns %}
        {%- do fill_columns.append((model_name, column)) %}
    {%- endfor %}
{%- endfor %}

with

call_measures as (

    select * from {{ ref('int_kpi__call_measures') }}

),

ticket_measures as (

    select * from {{ ref('int_kpi__ticket_measures') }}

),

contact_measures as (

    select * from {{ ref('int_kpi__contact_measures') }}

),

survey_measures as (

    select * from {{ ref('int_kpi__survey_measures') }}

),

order_measures as (

    select * from {{ ref('int_kpi__order_measures') }}

),

monthly_measures as (

    select * from {{ ref('int_kpi__monthly_measures') }}

),

period_keys as (

    {%- for model_name in measure_models %}
        select
            period_grain,
            period_start,
            market_code,
            channel
        from {{ model_name }}
        {%- if not loop.last %}
            union
        {%- endif %}
    {%- endfor %}

),

final as (

    select
        period_keys.period_grain,
        period_keys.period_start,
        period_keys.market_code,
        period_keys.channel,
        {%- for model_name, column in fill_columns %}
            coalesce({{ model_name }}.{{ column }}, 0) as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from period_keys
    {%- for model_name in measure_models %}
    left join {{ model_name }}
        on
            period_keys.period_grain = {{ model_name }}.period_grain
            and period_keys.period_start = {{ model_name }}.period_start
            and period_keys.market_code = {{ model_name }}.market_code
            and period_keys.channel = {{ model_name }}.channel
    {%- endfor %}

)

select * from final
