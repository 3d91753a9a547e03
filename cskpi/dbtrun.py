"""Run dbt in process with compact progress lines (done / total, elapsed)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from cskpi import paths, pii
from cskpi.partial import parse_absent

# dbt events that mark one finished node of the run (each carries index and total). A skipped
# node (upstream failure) is finished too, so done reaches total on failed runs as well.
_RESULT_EVENTS = frozenset(
    {
        "LogModelResult",
        "LogTestResult",
        "LogSeedResult",
        "LogSnapshotResult",
        "LogNodeResult",
        "LogNodeNoOpResult",
        "LogFunctionResult",
        "LogFreshnessResult",
        "SkippingDetails",
    }
)
# Microbatch incremental models report each batch; printed, not counted as a node.
_BATCH_EVENT = "LogBatchResult"
_FAILED = frozenset({"error", "fail", "runtime error"})
# check_raw_contract (on-run-start) logs the absent raw tables through this event.
_JINJA_LOG_EVENT = "JinjaLogInfo"


def _node_label(data: object) -> tuple[str, str]:
    """(resource type, display name) of a result event's node."""
    node = getattr(data, "node_info", None)
    kind = str(getattr(node, "resource_type", "") or getattr(data, "resource_type", "") or "")
    name = (
        getattr(node, "node_name", "")
        or getattr(data, "node_name", "")
        or getattr(data, "name", "")
        or getattr(data, "relation", "")
        or getattr(data, "table_name", "")
        or getattr(data, "description", "")
    )
    materialized = str(getattr(node, "materialized", "") or "")
    if kind == "model" and materialized:
        name = f"{name} ({materialized})"
    return kind, str(name)


@dataclass
class Progress:
    """Collects finished nodes and prints one line per node: done/total, elapsed, status, node.

    Works for every node type of ``dbt build`` (seeds, models incl. incremental ones, snapshots,
    data and unit tests, functions, skipped nodes) and prints microbatch batches as sub-lines.
    """

    out: TextIO = sys.stderr
    started: float = field(default_factory=time.monotonic)
    finished: int = 0
    total: int = 0
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    absent_tables: list[str] = field(default_factory=list)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __call__(self, event: object) -> None:
        info = getattr(event, "info", None)
        name_of_event = getattr(info, "name", None)
        if name_of_event == _JINJA_LOG_EVENT:
            absent = parse_absent(str(getattr(event.data, "msg", "")))  # type: ignore[attr-defined]
            if absent is not None:
                self.absent_tables = absent
            return
        if name_of_event == _BATCH_EVENT:
            self._batch(event.data)  # type: ignore[attr-defined]
            return
        if name_of_event not in _RESULT_EVENTS:
            return
        data = event.data  # type: ignore[attr-defined]
        self.total = max(self.total, int(getattr(data, "total", 0) or getattr(data, "num_models", 0) or 0))
        self.finished += 1
        kind, name = _node_label(data)
        if name_of_event == "SkippingDetails":
            status = "skip"
            self.skipped.append(name)
        else:
            status = str(getattr(data, "status", "") or "").lower()
        if status in _FAILED or status.startswith("error"):
            self.failures.append(name)
        label = status.split(" ")[0].upper() or "DONE"
        line = f"[{self.finished:>4}/{self.total:<4} {self.elapsed:7.1f}s] {label:<7} {kind:<9} {name}"
        print(line.rstrip(), file=self.out, flush=True)

    def _batch(self, data: object) -> None:
        kind, name = _node_label(data)
        index, batches = getattr(data, "batch_index", 0), getattr(data, "total_batches", 0)
        status = str(getattr(data, "status", "") or "").upper()
        line = f"[{self.finished:>4}/{self.total:<4} {self.elapsed:7.1f}s]   batch {index}/{batches} {status} {name}"
        print(line, file=self.out, flush=True)


def dbt_env() -> dict[str, str]:
    """Defaults so dbt works from any working directory, and the PII salt for a PostgreSQL session."""
    project = str(paths.project_dir())
    return {
        "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", project),
        "CSKPI_RAW_DIR": str(paths.raw_dir()),
        "CSKPI_DUCKDB_PATH": str(paths.warehouse_path()),
        # PostgreSQL session time zone (libpq reads PGTZ when dbt connects): timestamps are UTC,
        # whatever the server's default (dbt-postgres has no per-profile session settings).
        "PGTZ": "UTC",
        **pii.session_env(),
    }


def run_dbt(args: Sequence[str], callback: Callable[[object], None] | None = None) -> bool:
    """Invoke dbt with ``args`` in the project directory; True on success."""
    from dbt.cli.main import dbtRunner

    os.environ.update(dbt_env())
    paths.warehouse_path().parent.mkdir(parents=True, exist_ok=True)
    project = str(paths.project_dir())
    full = [*args, "--project-dir", project]
    if callback is not None:
        full = ["--quiet", *full]
    runner = dbtRunner(callbacks=[callback] if callback else [])
    result = runner.invoke(full)
    if result.exception is not None:
        print(f"dbt failed: {result.exception}", file=sys.stderr)
    return bool(result.success)
