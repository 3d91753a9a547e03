-- One row per ticket and SLA clock (first_reply, resolution, one next_reply per customer reply
-- that waits again) with its policy, due time, achievement and breach; see int_tickets__slas.

with

slas as (

    select * from {{ ref('int_tickets__slas') }}

),

final as (

    select * from slas

)

select * from final
