"""``cskpi run``: execute the nightly Dagster job once, in this process.

The same job the schedule launches (dbt build with tests as asset checks, then the
cross-layer checks), without a Dagster daemon or UI. Prints one line per asset and
check as they finish and a summary; the exit code is non-zero when a step fails or
an ERROR-severity check fails (WARN checks are reported but do not fail the run).

Exit codes: 0 ok, 1 run or check failed, 2 bad arguments, 3 warehouse locked.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from dagster import ExecuteInProcessResult

    from orchestration.progress import ProgressEvent
    from orchestration.resources import WarehouseResource

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3

_SYMBOLS = {
    "materialized": "materialized",
    "passed": "check ok    ",
    "failed": "check FAILED",
    "warn": "check WARN  ",
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
    from orchestration.dbt_args import DBT_OP_NAME

    return {
        "ops": {DBT_OP_NAME: {"config": {"full_refresh": full_refresh, "vars_json": vars_json}}},
        "loggers": {"console": {"config": {"log_level": log_level}}},
    }


def _step_failures(result: ExecuteInProcessResult) -> list[tuple[str, str]]:
    from orchestration.sensors import step_failure_reason

    return [
        (event.step_key or "?", step_failure_reason(event.step_failure_data))
        for event in result.all_events
        if event.is_step_failure
    ]


def summarize(result: ExecuteInProcessResult, warehouse: Path, elapsed: float, out: TextIO) -> int:
    """Print the summary and return the exit code."""
    from dagster import AssetCheckSeverity

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
    print(
        f"  checks: {len(passed)} passed, {len(failed)} failed, {len(warned)} warnings"
        + (f"; {len(skipped)} steps skipped" if skipped else ""),
        file=out,
    )
    for e in failed:
        # Multi-table descriptions separate tables with " | ": one table per line reads better.
        text = (e.description or "").replace(" | ", "\n      ")
        print(f"  FAILED check {e.asset_key.to_user_string()}:{e.check_name} -- {text}", file=out)
    for e in warned:
        print(f"  warning {e.asset_key.to_user_string()}:{e.check_name} -- {e.description or ''}", file=out)
    for step, reason in steps:
        print(f"  FAILED step {step}: {reason}", file=out)
    print(f"  warehouse: {warehouse}", file=out)
    return EXIT_OK if ok else EXIT_FAILED


def _alert(result: ExecuteInProcessResult, job_name: str) -> None:
    """Same alert as the run-failure sensor, which never sees in-process runs without a daemon."""
    from orchestration.resources import AlertResource
    from orchestration.sensors import failed_error_checks, failure_alert

    steps = [{"step": s, "error": r[:2000]} for s, r in _step_failures(result)]
    failed_checks = failed_error_checks(result.get_asset_check_evaluations())
    message = "; ".join([*(f"{s['step']}: {s['error'][:300]}" for s in steps), *(f["check"] for f in failed_checks)])
    alert = failure_alert(job_name, result.run_id, message or "failed", steps, event="cli_run_failure")
    alert["failed_checks"] = failed_checks
    AlertResource().send(alert)


def _run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    # CLI paths are relative to the caller's cwd; dbt runs in the project dir, so pass absolutes.
    if args.raw_dir:
        os.environ["CSKPI_RAW_DIR"] = str(Path(args.raw_dir).resolve())
    if args.warehouse:
        os.environ["CSKPI_DUCKDB_PATH"] = str(Path(args.warehouse).resolve())
    if args.lock_timeout is not None:
        os.environ["CSKPI_LOCK_TIMEOUT_SECONDS"] = str(args.lock_timeout)

    from orchestration.dbt_args import parse_vars

    try:
        vars_map = parse_vars(args.vars)
    except ValueError as exc:
        print(f"cskpi run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    vars_json = json_dumps(vars_map) if vars_map else ""

    from orchestration.lock import WarehouseLockBusy
    from orchestration.resources import WarehouseResource

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
    # Importing the code location parses the dbt project when the manifest is stale.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from dagster import DagsterInstance

        from orchestration import progress
        from orchestration.definitions import defs
        from orchestration.jobs import NIGHTLY_JOB_NAME

    out = sys.stderr
    printer = ProgressPrinter(out, started)
    progress.add_listener(printer)
    try:
        print(
            f"cskpi run: raw {warehouse.resolved_raw_dir()} -> warehouse {warehouse.resolved_duckdb_path()}",
            file=out,
        )
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
    code = summarize(result, warehouse.resolved_duckdb_path(), time.monotonic() - started, out)
    if not args.verbose:
        print(f"  dbt log: {log_path}", file=out)
    if code != EXIT_OK:
        _alert(result, NIGHTLY_JOB_NAME)
        print("  serving database unchanged: readers keep the last good version", file=out)
        return code
    if args.no_publish:
        return code
    return _publish(defs, instance, result.run_id, out)


def _publish(defs: Any, instance: Any, source_run_id: str, out: TextIO) -> int:
    """The publish job, as the sensor launches it after a clean scheduled run."""
    from cskpi.paths import serving_dir
    from orchestration.jobs import PUBLISH_JOB_NAME

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = defs.resolve_job_def(PUBLISH_JOB_NAME).execute_in_process(
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            instance=instance,
            raise_on_error=False,
            tags={"cskpi/trigger": "cli", "cskpi/source_run": source_run_id},
        )
    if not result.success:
        for step, reason in _step_failures(result):
            print(f"  FAILED step {step}: {reason}", file=out)
        _alert(result, PUBLISH_JOB_NAME)
        return EXIT_FAILED
    print(f"  published: {serving_dir() / 'current' / 'cskpi.duckdb'} (read-only for analysts and BI tools)", file=out)
    return EXIT_OK


def json_dumps(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run the nightly Dagster job once in process (dbt build + tests + asset checks)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--raw-dir", help="landing folder (default: $CSKPI_RAW_DIR or data/raw)")
    p.add_argument(
        "--warehouse", help="DuckDB file to build (default: $CSKPI_DUCKDB_PATH or data/warehouse/cskpi.duckdb)"
    )
    p.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    p.add_argument("--vars", default="", help="dbt vars as a JSON object, e.g. '{\"fcr_window_days\": 3}'")
    p.add_argument(
        "--lock-timeout",
        type=float,
        default=None,
        help="seconds to wait for another run holding the warehouse lock (default 0: refuse at once)",
    )
    p.add_argument("--no-publish", action="store_true", help="build and check only; leave the serving copy alone")
    p.add_argument("-v", "--verbose", action="store_true", help="also print Dagster's own log")
    p.set_defaults(func=_run)
