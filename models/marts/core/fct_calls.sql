-- One row per call (inbound and outbound) with the SPEC call flags.

with

source_rows as (

    select * from {{ ref('int_calls__enriched') }}

),

final as (

    select * from source_rows

)

select * from final
