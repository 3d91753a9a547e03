-- One row per employee satisfaction survey response with the agent's market.

with

source_rows as (

    select * from {{ ref('int_employee_surveys__enriched') }}

),

final as (

    select * from source_rows

)

select * from final
