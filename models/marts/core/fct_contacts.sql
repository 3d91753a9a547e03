-- One row per customer contact (incoming call or created ticket) across all channels.

with

source_rows as (

    select * from {{ ref('int_contacts__unified') }}

),

final as (

    select * from source_rows

)

select * from final
