"""The nightly schedule. Cron and time zone come from the environment when the code
location loads (CSKPI_SCHEDULE_CRON, CSKPI_SCHEDULE_TIMEZONE)."""

import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dagster import DefaultScheduleStatus, ScheduleDefinition
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

DEFAULT_CRON = "0 2 * * *"
DEFAULT_TIMEZONE = "Europe/Budapest"


def nightly_cron() -> str:
    return os.environ.get("CSKPI_SCHEDULE_CRON", "").strip() or DEFAULT_CRON


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
