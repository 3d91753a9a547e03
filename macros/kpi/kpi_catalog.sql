{#-
    The single definition of every KPI formula of SPEC §4, used by kpi_metrics,
    kpi_daily and kpi_monthly. Numerators and denominators are expressions over
    the measure columns of int_kpi__period_measures.

    channels: which channel values the KPI is reported for
    grains:   which period grains the KPI is reported for
    scale:    100 for percentages and NPS, 1 otherwise
-#}
{% macro kpi_catalog() -%}
    {%- set all_channels = ['phone', 'email', 'chat', 'web_form', 'social', 'all'] -%}
    {%- set phone_channels = ['phone', 'all'] -%}
    {%- set ticket_channels = ['email', 'chat', 'web_form', 'social', 'all'] -%}
    {%- set total_only = ['all'] -%}
    {%- set all_grains = ['day', 'week', 'month'] -%}
    {%- set month_only = ['month'] -%}
    {%- set catalog = [
        {'code': 'service_level', 'unit': 'percent', 'scale': 100,
         'numerator': '(calls_answered_within_sl + tickets_first_reply_within_threshold)',
         'denominator': '(calls_incoming + tickets_created)',
         'channels': all_channels, 'grains': all_grains},
        {'code': 'avg_response_time', 'unit': 'seconds', 'scale': 1,
         'numerator': 'queue_seconds_incoming', 'denominator': 'calls_incoming',
         'channels': phone_channels, 'grains': all_grains},
        {'code': 'avg_speed_of_answer', 'unit': 'seconds', 'scale': 1,
         'numerator': 'queue_seconds_answered', 'denominator': 'calls_answered',
         'channels': phone_channels, 'grains': all_grains},
        {'code': 'aht', 'unit': 'seconds', 'scale': 1,
         'numerator': 'handle_seconds_incoming', 'denominator': 'calls_incoming',
         'channels': phone_channels, 'grains': all_grains},
        {'code': 'aht_agent', 'unit': 'seconds', 'scale': 1,
         'numerator': 'agent_handle_seconds_answered', 'denominator': 'calls_answered',
         'channels': phone_channels, 'grains': all_grains},
        {'code': 'avg_call_duration', 'unit': 'seconds', 'scale': 1,
         'numerator': 'talk_hold_seconds_answered', 'denominator': 'calls_answered',
         'channels': phone_channels, 'grains': all_grains},
        {'code': 'call_abandonment_rate', 'unit': 'percent', 'scale': 100,
         'numerator': 'calls_abandoned_counted', 'denominator': 'calls_incoming',
         'channels': phone_channels, 'grains': all_grains},
        {'code': 'first_contact_resolution', 'unit': 'percent', 'scale': 100,
         'numerator': 'contacts_fcr', 'denominator': 'contacts_handled_known',
         'channels': all_channels, 'grains': all_grains},
        {'code': 'repeat_contact_rate', 'unit': 'percent', 'scale': 100,
         'numerator': '(contacts - unique_contacts)', 'denominator': 'contacts',
         'channels': all_channels, 'grains': all_grains},
        {'code': 'cost_per_interaction', 'unit': 'eur', 'scale': 1,
         'numerator': 'operating_cost_eur', 'denominator': 'contacts_handled',
         'channels': total_only, 'grains': month_only},
        {'code': 'cost_per_resolution', 'unit': 'eur', 'scale': 1,
         'numerator': 'operating_cost_eur', 'denominator': 'contacts_resolved',
         'channels': total_only, 'grains': month_only},
        {'code': 'csat', 'unit': 'percent', 'scale': 100,
         'numerator': 'csat_positive_ratings', 'denominator': 'csat_ratings',
         'channels': all_channels, 'grains': all_grains},
        {'code': 'nps', 'unit': 'score', 'scale': 100,
         'numerator': '(nps_promoters - nps_detractors)', 'denominator': 'nps_responses',
         'channels': total_only, 'grains': all_grains},
        {'code': 'ces', 'unit': 'score', 'scale': 1,
         'numerator': 'ces_score_sum', 'denominator': 'ces_responses',
         'channels': all_channels, 'grains': all_grains},
        {'code': 'esat', 'unit': 'percent', 'scale': 100,
         'numerator': 'esat_positive_responses', 'denominator': 'esat_responses',
         'channels': total_only, 'grains': all_grains},
        {'code': 'interactions_per_order', 'unit': 'ratio', 'scale': 1,
         'numerator': 'contacts', 'denominator': 'orders_placed',
         'channels': total_only, 'grains': all_grains},
        {'code': 'first_response_time', 'unit': 'seconds', 'scale': 1,
         'numerator': 'first_response_seconds_sum', 'denominator': 'tickets_first_replied',
         'channels': ticket_channels, 'grains': all_grains},
        {'code': 'avg_resolution_time', 'unit': 'seconds', 'scale': 1,
         'numerator': 'resolution_seconds_sum', 'denominator': 'tickets_solved',
         'channels': ticket_channels, 'grains': all_grains},
        {'code': 'ticket_resolution_rate', 'unit': 'percent', 'scale': 100,
         'numerator': 'tickets_resolved', 'denominator': 'tickets_created',
         'channels': ticket_channels, 'grains': all_grains},
        {'code': 'reopen_rate', 'unit': 'percent', 'scale': 100,
         'numerator': 'tickets_reopened', 'denominator': 'tickets_ever_solved',
         'channels': ticket_channels, 'grains': all_grains},
        {'code': 'escalation_rate', 'unit': 'percent', 'scale': 100,
         'numerator': 'tickets_escalated', 'denominator': 'tickets_created',
         'channels': ticket_channels, 'grains': all_grains},
        {'code': 'pre_sales_share', 'unit': 'percent', 'scale': 100,
         'numerator': 'contacts_pre_sales', 'denominator': 'contacts',
         'channels': all_channels, 'grains': all_grains},
        {'code': 'churn_rate', 'unit': 'percent', 'scale': 100,
         'numerator': 'customers_churned', 'denominator': 'customers_active_at_start',
         'channels': total_only, 'grains': month_only},
    ] -%}
    {{ return(catalog) }}
{%- endmacro %}

{#- SQL list literal of quoted strings: ('a', 'b'). -#}
{% macro sql_in_list(values) -%}
    ({% for v in values %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{#-
    Wide KPI columns (<code>_numerator, <code>_denominator, <code>) for a model
    reading int_kpi__period_measures; null where the KPI does not apply to the
    row's channel.
-#}
{% macro kpi_wide_columns(grain) -%}
    {%- for kpi in kpi_catalog() if grain in kpi.grains %}
        case when channel in {{ sql_in_list(kpi.channels) }} then {{ kpi.numerator }} end
            as {{ kpi.code }}_numerator,
        case when channel in {{ sql_in_list(kpi.channels) }} then {{ kpi.denominator }} end
            as {{ kpi.code }}_denominator,
        case
            when channel in {{ sql_in_list(kpi.channels) }}
                then {{ safe_divide(kpi.numerator, kpi.denominator, kpi.scale) }}
        end as {{ kpi.code }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#-
    Expression mapping a date column to the start of its period for the
    period_grain column of a `grains` CTE (see kpi_grains_cte).
-#}
{% macro period_start_for_grain(date_column, grain_column='grains.period_grain') -%}
    case
        when {{ grain_column }} = 'day' then {{ date_column }}
        when {{ grain_column }} = 'week' then {{ iso_week_start(date_column) }}
        else {{ month_start(date_column) }}
    end
{%- endmacro %}

{#- Body of a CTE listing the period grains (day, week, month). -#}
{% macro kpi_grains_select(grains=['day', 'week', 'month']) -%}
    {%- for g in grains %}
    select '{{ g }}' as period_grain{% if not loop.last %}
    union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- Body of a CTE with one row per channel scope: the row's own channel and 'all'. -#}
{% macro channel_scopes_select() -%}
    select 'own' as channel_scope
    union all
    select 'all' as channel_scope
{%- endmacro %}

{#- Rows 0 .. upper_bound - 1 as column n (portable, no generate_series). -#}
{% macro integer_series(upper_bound) -%}
    {%- set digits = [] -%}
    {%- set ns = namespace(size=1) -%}
    {%- for i in range(6) if ns.size < upper_bound -%}
        {%- do digits.append(i) -%}
        {%- set ns.size = ns.size * 10 -%}
    {%- endfor -%}
    with digit as (
        {%- for d in range(10) %}
        select {{ d }} as d{% if not loop.last %} union all{% endif %}
        {%- endfor %}
    )

    select
        {% for i in digits %}d{{ i }}.d * {{ 10 ** i }}{% if not loop.last %} + {% endif %}{% endfor %} as n
    from {% for i in digits %}digit as d{{ i }}{% if not loop.last %}
    cross join {% endif %}{% endfor %}
{%- endmacro %}
