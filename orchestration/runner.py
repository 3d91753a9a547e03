"""What ``cskpi run`` does (orchestration/cli.py): the nightly job in process, its summary and
alerts, then the publish job. Exit codes: 0 ok, 1 run or check failed, 2 bad arguments,
3 warehouse locked."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from dagster import AssetCheckSeverity, DagsterInstance, Definitions, ExecuteInProcessResult

from cskpi import pii
from cskpi.dbt_args import parse_vars
from cskpi.lock import WAREHOUSE_HELD, WarehouseLockBusy
from cskpi.marts import MartSourceError
from cskpi.paths import serving_dir
from cskpi.targets import DUCKDB
from orchestration import progress
from orchestration.alerts import AlertResource, failed_error_checks, failure_alert, step_failure_reason
from orchestration.jobs import DBT_OP_NAME, NIGHTLY_JOB_NAME, PUBLISH_JOB_NAME
from orchestration.progress import ProgressEvent
from orchestration.resources import WarehouseResource

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3

_SYMBOLS = {
    "materialized": "materialized",
    "passed": "check ok    ",
    "failed": "check FAILED",
    "warn": "check WARN  ",
    "partial": "landing",
}


class ProgressPrinter:
    """Prints ``[elapsed] what name`` lines; dagster's own logger is muted unless --verbose."""

    def __init__(self, stream: TextIO, started: float) -> None:
        self.stream = stream
        self.started = started

    def __call__(self, event: ProgressEvent) -> None:
        label = _SYMBOLS.get(event.status, event.status)
        elapsed = time.monotonic() - self.started
        detail = ""
        if event.status in ("failed", "warn") and event.detail:
            detail = "  -- " + (event.detail if len(event.detail) <= 160 else event.detail[:157] + "...")
        print(f"[{elapsed:7.1f}s] {label:<12} {event.name}{detail}", file=self.stream, flush=True)


def run_config(full_refresh: bool, vars_json: str, log_level: str) -> dict[str, Any]:
    return {
        "ops": {DBT_OP_NAME: {"config": {"full_refresh": full_refresh, "vars_json": vars_json}}},
        "loggers": {"console": {"config": {"log_level": log_level}}},
    }


def _step_failures(result: ExecuteInProcessResult) -> list[tuple[str, str]]:
    return [
        (event.step_key or "?", step_failure_reason(event.step_failure_data))
        for event in result.all_events
        if event.is_step_failure
    ]


def summarize(
    result: ExecuteInProcessResult, warehouse: str, elapsed: float, out: TextIO, notes: Sequence[str] = ()
) -> int:
    """Print the summary (``warehouse``: the built warehouse as a user reads it) and return the exit code.

    ``notes``: lines to name once, e.g. the raw tables absent from this run."""
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    evaluations = result.get_asset_check_evaluations()
    passed = [e for e in evaluations if e.passed]
    failed = [e for e in evaluations if not e.passed and e.severity == AssetCheckSeverity.ERROR]
    warned = [e for e in evaluations if not e.passed and e.severity != AssetCheckSeverity.ERROR]
    steps = _step_failures(result)
    skipped = [e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"]
    ok = result.success and not failed and not steps
    print("", file=out)
    print(f"cskpi run {'succeeded' if ok else 'FAILED'} in {elapsed:.1f}s (run {result.run_id})", file=out)
    print(f"  assets materialized: {len(materialized)}", file=out)
    for note in notes:
        print(f"  {note}", file=out)
    print(
        f"  checks: {len(passed)} passed, {len(failed)} failed, {len(warned)} warnings"
        + (f"; {len(skipped)} steps skipped" if skipped else ""),
        file=out,
    )
    for e in failed:
        # Descriptions separate failing rows with " | " (orchestration/assets/failures.py): one a line.
        text = (e.description or "").replace(" | ", "\n      ")
        print(f"  FAILED check {e.asset_key.to_user_string()}:{e.check_name} -- {text}", file=out)
    for e in warned:
        text = (e.description or "").replace(" | ", "\n      ")
        print(f"  warning {e.asset_key.to_user_string()}:{e.check_name} -- {text}", file=out)
    for step, reason in steps:
        print(f"  FAILED step {step}: {reason}", file=out)
    print(f"  warehouse: {warehouse}", file=out)
    if any(WAREHOUSE_HELD in reason for _, reason in steps):
        return EXIT_LOCKED
    return EXIT_OK if ok else EXIT_FAILED


def _alert(result: ExecuteInProcessResult, job_name: str) -> None:
    """Same alert as the run-failure sensor, which never sees in-process runs without a daemon."""
    steps = [{"step": s, "error": r[:2000]} for s, r in _step_failures(result)]
    failed_checks = failed_error_checks(result.get_asset_check_evaluations())
    message = "; ".join([*(f"{s['step']}: {s['error'][:300]}" for s in steps), *(f["check"] for f in failed_checks)])
    alert = failure_alert(job_name, result.run_id, message or "failed", steps, event="cli_run_failure")
    alert["failed_checks"] = failed_checks
    AlertResource().send(alert)


def run(args: argparse.Namespace) -> int:
    """The ``cskpi run`` command (arguments: orchestration/cli.py)."""
    started = time.monotonic()
    # CLI paths are relative to the caller's cwd; dbt runs in the project dir, so pass absolutes.
    if args.raw_dir:
        os.environ["CSKPI_RAW_DIR"] = str(Path(args.raw_dir).resolve())
    if args.warehouse:
        os.environ["CSKPI_DUCKDB_PATH"] = str(Path(args.warehouse).resolve())
    if args.lock_timeout is not None:
        os.environ["CSKPI_LOCK_TIMEOUT_SECONDS"] = str(args.lock_timeout)

    try:
        vars_map = parse_vars(args.vars)
        pii.check_salt()
    except ValueError as exc:
        print(f"cskpi run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    vars_json = json.dumps(vars_map, sort_keys=True, separators=(",", ":")) if vars_map else ""

    # Take the lock before loading the code location, so a refused run costs nothing.
    warehouse = WarehouseResource()
    lock = warehouse.lock(purpose="cskpi run")
    try:
        lock.acquire()
    except WarehouseLockBusy as exc:
        print(f"cskpi run: refused: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    try:
        return _execute(args, warehouse, vars_json, started)
    finally:
        lock.release()


def _execute(args: argparse.Namespace, warehouse: WarehouseResource, vars_json: str, started: float) -> int:
    # Imported here, after the lock: loading the code location parses the dbt project when the
    # manifest is stale, which a refused run should not pay for.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from orchestration.definitions import defs

    out = sys.stderr
    printer = ProgressPrinter(out, started)
    notes: list[str] = []

    def collect(event: ProgressEvent) -> None:
        if event.status == "partial":
            notes.append(event.name)

    progress.add_listener(printer)
    progress.add_listener(collect)
    try:
        # Server targets read raw tables that `cskpi load` put there, not the landing folder.
        target = warehouse.target()
        source = f"raw {warehouse.resolved_raw_dir()}" if target == DUCKDB else f"target {target}"
        print(f"cskpi run: {source} -> warehouse {warehouse.describe()}", file=out)
        job = defs.resolve_job_def(NIGHTLY_JOB_NAME)
        # With DAGSTER_HOME set the run is recorded there (visible in the UI); otherwise ephemeral.
        home = os.environ.get("DAGSTER_HOME")
        if home:
            Path(home).mkdir(parents=True, exist_ok=True)  # DagsterInstance.get() insists it exists
        instance = DagsterInstance.get() if home else DagsterInstance.ephemeral()
        # dagster-dbt echoes dbt's console output to stdout; keep it in a log file unless --verbose.
        log_path = warehouse.resolved_duckdb_path().with_suffix(".dbt.log")
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings(), log_path.open("w", encoding="utf-8") as log_file:
            warnings.simplefilter("ignore")
            sink = contextlib.nullcontext() if args.verbose else contextlib.redirect_stdout(log_file)
            with sink:
                result = job.execute_in_process(
                    run_config=run_config(args.full_refresh, vars_json, "DEBUG" if args.verbose else "CRITICAL"),
                    instance=instance,
                    raise_on_error=False,
                    tags={"cskpi/trigger": "cli"},
                )
    finally:
        progress.remove_listener(printer)
        progress.remove_listener(collect)
    code = summarize(result, warehouse.describe(), time.monotonic() - started, out, notes)
    if not args.verbose:
        print(f"  dbt log: {log_path}", file=out)
    if code != EXIT_OK:
        _alert(result, NIGHTLY_JOB_NAME)
        print("  serving database unchanged: readers keep the last good version", file=out)
        return code
    if args.no_publish:
        return code
    try:
        warehouse.mart_source()
    except MartSourceError as exc:  # publish disabled on this target (spark): not a failed run
        print(f"  not published: {exc}", file=out)
        return code
    return _publish(defs, instance, result.run_id, out)


def _publish(defs: Definitions, instance: DagsterInstance, source_run_id: str, out: TextIO) -> int:
    """The publish job, as the sensor launches it after a clean scheduled run."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = defs.resolve_job_def(PUBLISH_JOB_NAME).execute_in_process(
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            instance=instance,
            raise_on_error=False,
            tags={"cskpi/trigger": "cli", "cskpi/source_run": source_run_id},
        )
    if not result.success:
        # The build summary above said "succeeded": say plainly that publishing did not.
        print("cskpi run: publish FAILED; the serving database is unchanged (readers keep the last version)", file=out)
        for step, reason in _step_failures(result):
            print(f"  FAILED step {step}: {reason}", file=out)
        _alert(result, PUBLISH_JOB_NAME)
        return EXIT_FAILED
    print(f"  published: {serving_dir() / 'current' / 'cskpi.duckdb'} (read-only for analysts and BI tools)", file=out)
    return EXIT_OK
