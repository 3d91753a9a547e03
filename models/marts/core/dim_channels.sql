-- The five contact channels with their medium type.

with

channels as (

    select
        'phone' as channel,
        'Phone' as channel_name,
        'voice' as medium_type,
        true as is_synchronous,
        'telephony' as source_system
    union all
    select
        'email' as channel,
        'E-mail' as channel_name,
        'written' as medium_type,
        false as is_synchronous,
        'helpdesk' as source_system
    union all
    select
        'chat' as channel,
        'Chat' as channel_name,
        'written' as medium_type,
        true as is_synchronous,
        'helpdesk' as source_system
    union all
    select
        'web_form' as channel,
        'Web form' as channel_name,
        'written' as medium_type,
        false as is_synchronous,
        'helpdesk' as source_system
    union all
    select
        'social' as channel,
        'Social media' as channel_name,
        'written' as medium_type,
        false as is_synchronous,
        'helpdesk' as source_system

),

final as (

    select * from channels

)

select * from final
