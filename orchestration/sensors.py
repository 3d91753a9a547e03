"""Sensors: failure alerts, landing observations and (in definitions.py) freshness checks."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetObservation,
    DagsterEventType,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)
from dagster._core.execution.plan.objects import StepFailureData

from cskpi.contract import TABLES
from orchestration.assets.landing import landing_asset_key, landing_fingerprint, observe_landing_table
from orchestration.resources import AlertResource, WarehouseResource


def step_failure_reason(data: StepFailureData | None) -> str:
    """The useful part of a step failure: a ``Failure`` description, else the innermost
    error message (Dagster wraps user exceptions in DagsterExecutionStepExecutionError)."""
    if data is None:
        return "unknown error"
    if data.user_failure_data is not None and data.user_failure_data.description:
        return " ".join(data.user_failure_data.description.split())
    error = data.error
    messages = []
    while error is not None:
        messages.append(error.message.strip())
        error = error.cause
    return " ".join(" <- ".join(reversed(messages)).split()) or "unknown error"


def failure_alert(
    job: str,
    run_id: str,
    message: str,
    failed_steps: Sequence[Mapping[str, str]] = (),
    tags: Mapping[str, str] | None = None,
    event: str = "run_failure",
) -> dict[str, Any]:
    """The alert record (one JSON line in the alert file, the payload of every hook)."""
    return {
        "event": event,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "job": job,
        "run_id": run_id,
        "message": message,
        "failed_steps": [dict(s) for s in failed_steps],
        "retry_number": (tags or {}).get("dagster/retry_number", "0"),
    }


@run_failure_sensor(
    name="cskpi_run_failure_alert",
    default_status=DefaultSensorStatus.RUNNING,
    description="Writes an alert (log line + JSON line in CSKPI_ALERT_FILE + optional hooks) per failed run.",
)
def run_failure_alert_sensor(context: RunFailureSensorContext, alerts: AlertResource) -> None:
    steps = [
        {"step": e.step_key or "?", "error": step_failure_reason(e.step_failure_data)[:2000]}
        for e in context.get_step_failure_events()
    ]
    message = context.failure_event.message or "run failed"
    alert = failure_alert(
        context.dagster_run.job_name, context.dagster_run.run_id, message, steps, context.dagster_run.tags
    )
    failed = alerts.send(alert)
    context.log.info(f"alert written to {alerts.resolved_alert_file()}; failed hooks: {failed or 'none'}")


def failed_error_checks(evaluations: Sequence[AssetCheckEvaluation]) -> list[dict[str, str]]:
    """ERROR-severity checks that did not pass (WARN ones are visible in the UI only)."""
    return [
        {
            "check": f"{e.asset_key.to_user_string()}:{e.check_name}",
            "description": " ".join((e.description or "").split())[:2000],
        }
        for e in evaluations
        if not e.passed and e.severity == AssetCheckSeverity.ERROR
    ]


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    name="cskpi_check_failure_alert",
    default_status=DefaultSensorStatus.RUNNING,
    description="A run can succeed while ERROR-severity asset checks fail (e.g. quarantine rate): alert on those too.",
)
def check_failure_alert_sensor(context: RunStatusSensorContext, alerts: AlertResource) -> None:
    run = context.dagster_run
    failed = failed_error_checks(run_check_evaluations(context))
    if not failed:
        return
    message = f"{len(failed)} failed checks: " + "; ".join(f"{f['check']} -- {f['description']}" for f in failed)
    alert = failure_alert(run.job_name, run.run_id, message[:4000], tags=run.tags, event="check_failure")
    alert["failed_checks"] = failed
    alerts.send(alert)


def run_check_evaluations(context: RunStatusSensorContext) -> list[AssetCheckEvaluation]:
    entries = context.instance.all_logs(context.dagster_run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    return [e.dagster_event.asset_check_evaluation_data for e in entries if e.dagster_event is not None]


def build_publish_sensor(nightly_job: Any, publish_job: Any) -> Any:
    """Publishes after every nightly run that succeeded with no failed ERROR check."""

    @run_status_sensor(
        run_status=DagsterRunStatus.SUCCESS,
        name="cskpi_publish_after_nightly",
        monitored_jobs=[nightly_job],
        request_job=publish_job,
        default_status=DefaultSensorStatus.RUNNING,
        description="Launches the publish job after a clean nightly run; readers keep the last good version otherwise.",
    )
    def publish_after_nightly(context: RunStatusSensorContext) -> RunRequest | SkipReason:
        failed = failed_error_checks(run_check_evaluations(context))
        if failed:
            return SkipReason(f"not publishing run {context.dagster_run.run_id}: {len(failed)} ERROR checks failed")
        return RunRequest(run_key=context.dagster_run.run_id, tags={"cskpi/source_run": context.dagster_run.run_id})

    return publish_after_nightly


@sensor(
    name="cskpi_landing_observations",
    minimum_interval_seconds=15 * 60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Records row count and newest _loaded_at of every landing table when its files change.",
)
def landing_observation_sensor(
    context: SensorEvaluationContext, warehouse: WarehouseResource
) -> SensorResult | SkipReason:
    raw_dir = warehouse.resolved_raw_dir()
    if not raw_dir.is_dir():
        return SkipReason(f"landing folder {raw_dir} does not exist")
    fingerprint = landing_fingerprint(raw_dir)
    if fingerprint == context.cursor:
        return SkipReason("landing files unchanged since the last observation")
    events = []
    for table in TABLES:
        stats = observe_landing_table(raw_dir, table)
        events.append(AssetObservation(asset_key=landing_asset_key(table), metadata=stats.as_metadata()))
    return SensorResult(asset_events=events, cursor=fingerprint)
