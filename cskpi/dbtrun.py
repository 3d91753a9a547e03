"""Run dbt in process with compact progress lines (done / total, elapsed)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from cskpi import paths

# dbt result events that carry index/total; each marks one finished node.
_RESULT_EVENTS = frozenset({"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult", "LogNodeResult"})


@dataclass
class Progress:
    """Collects finished nodes and prints one line per node."""

    out: TextIO = sys.stderr
    started: float = field(default_factory=time.monotonic)
    finished: int = 0
    failures: list[str] = field(default_factory=list)

    def __call__(self, event: object) -> None:
        info = getattr(event, "info", None)
        if info is None or info.name not in _RESULT_EVENTS:
            return
        data = event.data  # type: ignore[attr-defined]
        total = getattr(data, "total", 0) or getattr(data, "num_models", 0)
        self.finished += 1
        status = str(getattr(data, "status", "")).lower()
        name = getattr(data, "description", "") or getattr(data, "name", "")
        if status in {"error", "fail"}:
            self.failures.append(name)
        elapsed = time.monotonic() - self.started
        line = f"[{self.finished:>4}/{total:<4} {elapsed:6.1f}s] {status.upper():<7} {name}"
        print(line, file=self.out, flush=True)


def dbt_env() -> dict[str, str]:
    """Defaults so dbt works from any working directory."""
    project = str(paths.project_dir())
    return {
        "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", project),
        "CSKPI_RAW_DIR": str(paths.raw_dir()),
        "CSKPI_DUCKDB_PATH": str(paths.warehouse_path()),
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
