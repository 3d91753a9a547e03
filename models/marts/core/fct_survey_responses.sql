-- One row per CSAT rating, NPS response or CES response.

with

source_rows as (

    select * from {{ ref('int_survey_responses__unified') }}

),

final as (

    select * from source_rows

)

select * from final
