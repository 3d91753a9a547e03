-- One row per helpdesk ticket with first response, resolution, reopen and escalation facts.

with

source_rows as (

    select * from {{ ref('int_tickets__enriched') }}

),

final as (

    select * from source_rows

)

select * from final
