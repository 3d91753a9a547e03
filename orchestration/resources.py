"""Dagster resources: the warehouse of the configured dbt target (the alert resource is in
orchestration/alerts.py).

Every field defaults to ``None`` meaning "read the environment when the run executes", so one
code location serves dev, CI and production without reloads, and a value set in the launchpad /
run config still wins. The data checks are dbt tests: their thresholds are dbt vars (README).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import ConfigurableResource

from cskpi import pii, targets
from cskpi.lock import WarehouseLock
from cskpi.marts import MartSource, mart_source
from cskpi.paths import project_dir, resolve


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"environment variable {name}={raw!r} is not a number") from None


class WarehouseResource(ConfigurableResource):
    """The warehouse dbt builds (target CSKPI_TARGET), the landing folder and the lock that
    serialises writers. The lock file sits next to the DuckDB path whatever the target, so runs of
    one checkout are serialised on a server warehouse too; nothing else opens that path unless the
    target is DuckDB."""

    duckdb_path: str | None = None
    raw_dir: str | None = None
    lock_timeout_seconds: float | None = None

    def target(self) -> str:
        return targets.dbt_target()

    def resolved_duckdb_path(self) -> Path:
        default = str(project_dir() / "data" / "warehouse" / "cskpi.duckdb")
        return resolve(self.duckdb_path or os.environ.get("CSKPI_DUCKDB_PATH") or default)

    def resolved_raw_dir(self) -> Path:
        default = str(project_dir() / "data" / "raw")
        return resolve(self.raw_dir or os.environ.get("CSKPI_RAW_DIR") or default)

    def describe(self) -> str:
        """The warehouse as a user should read it: the DuckDB file or the server and schema."""
        return targets.describe_warehouse(self.target(), self.resolved_duckdb_path())

    def mart_source(self) -> MartSource:
        """What publish copies: the marts of the warehouse this target built (cskpi.marts)."""
        return mart_source(self.target(), self.resolved_duckdb_path())

    def resolved_lock_timeout(self) -> float:
        if self.lock_timeout_seconds is not None:
            return self.lock_timeout_seconds
        return _env_float("CSKPI_LOCK_TIMEOUT_SECONDS", 0.0)

    def lock(self, purpose: str = "", shared: bool = False) -> WarehouseLock:
        return WarehouseLock(
            self.resolved_duckdb_path(), timeout=self.resolved_lock_timeout(), purpose=purpose, shared=shared
        )

    @contextmanager
    def dbt_env(self) -> Iterator[None]:
        """Export the resolved locations, and the PII salt for a PostgreSQL session (cskpi/pii.py),
        to the dbt subprocess (dagster-dbt passes os.environ)."""
        wanted = {
            "CSKPI_DUCKDB_PATH": str(self.resolved_duckdb_path()),
            "CSKPI_RAW_DIR": str(self.resolved_raw_dir()),
            **pii.session_env(),
        }
        saved = {k: os.environ.get(k) for k in wanted}
        os.environ.update(wanted)
        # The lock file and the dbt log live here, whatever the target.
        self.resolved_duckdb_path().parent.mkdir(parents=True, exist_ok=True)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
