-- One row per cost month, market and cost type, converted to EUR.

with

source_rows as (

    select * from {{ ref('int_operating_costs__eur') }}

),

final as (

    select * from source_rows

)

select * from final
