-- The latest run's landing per raw table against the run before it (dq_landing_history): a table
-- that was landed but has no rows (its KPIs are null) and a table whose newest accepted
-- _loaded_at did not move since the previous run (the export behind it may have stopped).
-- Both are warnings, not failures: a re-run of the same night is legitimately stale.

with

history as (

    select * from {{ ref('dq_landing_history') }}

),

ranked as (

    select
        history.*,
        row_number() over (
            partition by history.source_table
            order by history.checked_at desc, history.invocation_id desc
        ) as run_rank
    from history

),

latest_run as (

    select * from ranked
    where run_rank = 1

),

previous_run as (

    select * from ranked
    where run_rank = 2

),

final as (

    select
        latest_run.source_table,
        latest_run.checked_at,
        latest_run.is_present,
        latest_run.raw_rows,
        latest_run.newest_loaded_at,
        previous_run.checked_at as previous_checked_at,
        previous_run.newest_loaded_at as previous_newest_loaded_at,
        coalesce(latest_run.is_present and latest_run.raw_rows = 0, false) as is_empty,
        coalesce(
            latest_run.raw_rows > 0
            and latest_run.newest_loaded_at <= previous_run.newest_loaded_at,
            false
        ) as is_stale
    from latest_run
    left join previous_run on latest_run.source_table = previous_run.source_table

)

select * from final
