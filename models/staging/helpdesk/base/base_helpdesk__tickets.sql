{{ config(
    materialized='incremental',
    unique_key='row_key',
    incremental_strategy=incremental_strategy(),
    pre_hook="{{ incremental_delete_null_keys() }}"
) }}

-- Typed, PII-hashed, version-ranked and validated rows of raw helpdesk/tickets.
-- One row per raw row: stg_helpdesk__tickets keeps the accepted winners,
-- qrt_helpdesk__tickets the invalid winners (and every null-key row).

with

source as (

    select * from {{ source('helpdesk', 'tickets') }}
    {%- if is_incremental() %}
        -- incremental: every version of the keys touched since the watermark - lookback_days
        where {{ incremental_raw_filter(
            'ticket_id', source('helpdesk', 'tickets'), incremental_cutoff(),
            [('customer_id', source('shop', 'customers'), 'customer_id')]
        ) }}
    {%- endif %}

),

markets as (

    select distinct market_code as known_market_code from {{ ref('markets') }}

),

accepted_customers as (

    select distinct customer_id as accepted_customer_id from {{ ref('stg_shop__customers') }}

),

typed as (

    select
        {{ dbt.safe_cast('ticket_id', dbt.type_string()) }} as ticket_id,
        {{ dbt.safe_cast('market_code', dbt.type_string()) }} as market_code,
        {{ dbt.safe_cast('channel', dbt.type_string()) }} as channel,
        {{ dbt.safe_cast('customer_id', dbt.type_string()) }} as customer_id,
        {{ dbt.safe_cast('order_id', dbt.type_string()) }} as order_id,
        {{ dbt.safe_cast('category', dbt.type_string()) }} as category,
        {{ dbt.safe_cast('priority', dbt.type_string()) }} as priority,
        {{ dbt.safe_cast('status', dbt.type_string()) }} as status,
        {{ dbt.safe_cast('assignee_agent_id', dbt.type_string()) }} as assignee_agent_id,
        {{ dbt.safe_cast('created_at', dbt.type_timestamp()) }} as created_at,
        {{ dbt.safe_cast('updated_at', dbt.type_timestamp()) }} as updated_at,
        {{ dbt.safe_cast('solved_at', dbt.type_timestamp()) }} as solved_at,
        {{ hash_pii('requester_email') }} as requester_email_hash,
        {{ hash_pii('subject') }} as subject_hash,
        {{ dbt.safe_cast('_loaded_at', dbt.type_timestamp()) }} as loaded_at,
        (
            {{ cast_failed('created_at', dbt.safe_cast('created_at', dbt.type_timestamp())) }}
            or {{ cast_failed('updated_at', dbt.safe_cast('updated_at', dbt.type_timestamp())) }}
            or {{ cast_failed('solved_at', dbt.safe_cast('solved_at', dbt.type_timestamp())) }}
            or {{ cast_failed('_loaded_at', dbt.safe_cast('_loaded_at', dbt.type_timestamp())) }}
        ) as has_invalid_type,
        {{ row_to_json({
            'ticket_id': 'ticket_id',
            'market_code': 'market_code',
            'channel': 'channel',
            'customer_id': 'customer_id',
            'order_id': 'order_id',
            'category': 'category',
            'priority': 'priority',
            'status': 'status',
            'assignee_agent_id': 'assignee_agent_id',
            'created_at': 'created_at',
            'updated_at': 'updated_at',
            'solved_at': 'solved_at',
            'requester_email_hash': hash_pii('requester_email'),
            'subject_hash': hash_pii('subject'),
            '_loaded_at': '_loaded_at'
        }) }} as raw_row
    from source

),

ranked as (

    select
        *,
        {{ row_key(['ticket_id']) }} as row_key,
        {{ dedupe_row_number(
            ['ticket_id'],
            ['loaded_at desc', 'updated_at desc', 'raw_row desc']
        ) }} as version_rank
    from typed

),

validated as (

    select
        *,
        case
            when
                ticket_id is null
                then 'null_key'
            when
                market_code is null
                or known_market_code is null
                then 'unknown_market'
            when
                solved_at < created_at
                then 'end_before_start'
            when
                (customer_id is not null and accepted_customer_id is null)
                then 'orphan_reference'
            when
                {{ is_future('created_at') }}
                or {{ is_future('updated_at') }}
                or {{ is_future('solved_at') }}
                then 'future_timestamp'
            when
                has_invalid_type
                or loaded_at is null
                or {{ not_accepted('channel', ['email', 'chat', 'web_form', 'social']) }}
                or {{ not_accepted('category', [
                    'pre_sales', 'order_status', 'delivery', 'returns', 'payment', 'product',
                    'complaint', 'other'
                ]) }}
                or {{ not_accepted('priority', ['low', 'normal', 'high', 'urgent']) }}
                or {{ not_accepted('status', ['new', 'open', 'pending', 'on_hold', 'solved', 'closed']) }}
                then 'invalid_value'
        end as quarantine_reason
    from ranked
    left join markets on ranked.market_code = markets.known_market_code
    left join accepted_customers on ranked.customer_id = accepted_customers.accepted_customer_id

),

final as (

    select
        'helpdesk/tickets' as source_table,
        row_key,
        ticket_id,
        market_code,
        channel,
        customer_id,
        order_id,
        category,
        priority,
        status,
        assignee_agent_id,
        created_at,
        updated_at,
        solved_at,
        requester_email_hash,
        subject_hash,
        loaded_at,
        raw_row,
        (row_key is not null and version_rank > 1) as is_duplicate,
        quarantine_reason
    from validated

)

select * from final
