"""Sensors: failure alerts, publish after a clean run, landing observations (freshness checks: definitions.py)."""

from typing import Any

from dagster import (
    AssetCheckEvaluation,
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

from cskpi.contract import TABLES
from cskpi.marts import MartSourceError
from orchestration.alerts import AlertResource, failed_error_checks, failure_alert, step_failure_reason
from orchestration.assets.landing import landing_asset_key, landing_fingerprint, observe_landing_table
from orchestration.resources import WarehouseResource


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
    def publish_after_nightly(context: RunStatusSensorContext, warehouse: WarehouseResource) -> RunRequest | SkipReason:
        failed = failed_error_checks(run_check_evaluations(context))
        if failed:
            return SkipReason(f"not publishing run {context.dagster_run.run_id}: {len(failed)} ERROR checks failed")
        try:
            warehouse.mart_source()
        except MartSourceError as exc:  # e.g. publish disabled on the spark target
            return SkipReason(f"not publishing run {context.dagster_run.run_id}: {exc}")
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
