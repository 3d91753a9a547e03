"""The nightly schedule. Cron and time zone come from the environment when the code
location loads (CSKPI_SCHEDULE_CRON, CSKPI_SCHEDULE_TIMEZONE)."""

import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dagster import DefaultScheduleStatus, ScheduleDefinition
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from orchestration.jobs import DBT_OP_NAME

DEFAULT_CRON = "0 2 * * *"
# Sunday morning, after that night's incremental run (the run queue serialises them).
DEFAULT_FULL_REFRESH_CRON = "0 4 * * 0"
DEFAULT_TIMEZONE = "Europe/Budapest"


def nightly_cron() -> str:
    return os.environ.get("CSKPI_SCHEDULE_CRON", "").strip() or DEFAULT_CRON


def full_refresh_cron() -> str:
    return os.environ.get("CSKPI_FULL_REFRESH_CRON", "").strip() or DEFAULT_FULL_REFRESH_CRON


def full_refresh_run_config() -> dict:
    """Run config of the nightly job that rebuilds the incremental models from scratch."""
    return {"ops": {DBT_OP_NAME: {"config": {"full_refresh": True}}}}


def schedule_timezone() -> str:
    name = os.environ.get("CSKPI_SCHEDULE_TIMEZONE", "").strip() or DEFAULT_TIMEZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"CSKPI_SCHEDULE_TIMEZONE={name!r} is not an IANA time zone") from None
    return name


def build_nightly_schedule(job: UnresolvedAssetJobDefinition) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="cskpi_nightly_schedule",
        job=job,
        cron_schedule=nightly_cron(),
        execution_timezone=schedule_timezone(),
        # Running by default: starting the daemon (dagster dev) is the opt-in.
        default_status=DefaultScheduleStatus.RUNNING,
        description="Refreshes the warehouse every night after the landing exports.",
    )


def build_full_refresh_schedule(job: UnresolvedAssetJobDefinition) -> ScheduleDefinition:
    """Weekly `dbt build --full-refresh`: drift from late data older than the lookback, or from a
    changed KPI threshold var, cannot outlive a week."""
    return ScheduleDefinition(
        name="cskpi_weekly_full_refresh",
        job=job,
        cron_schedule=full_refresh_cron(),
        execution_timezone=schedule_timezone(),
        run_config=full_refresh_run_config(),
        tags={"cskpi/full_refresh": "true"},
        default_status=DefaultScheduleStatus.RUNNING,
        description="Rebuilds every incremental model from scratch once a week.",
    )
