-- One row per shop order with local order date and EUR amount.

with

source_rows as (

    select * from {{ ref('int_orders__localized') }}

),

final as (

    select * from source_rows

)

select * from final
