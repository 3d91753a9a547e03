"""The one reader of the published serving copy (report, dashboard, tests).

Readers never open the warehouse dbt writes: they open ``<serving>/current/cskpi.duckdb``
read-only (cskpi/publish.py swaps ``current`` atomically). Values are formatted for
people by cskpi/formatting.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

DEFAULT_SERVING_DIR = "data/serving"
DATABASE_RELATIVE = Path("current") / "cskpi.duckdb"
DEFINITIONS_TABLE = "kpi_definitions"


class NotPublishedError(FileNotFoundError):
    """Nothing has been published to the serving directory yet."""


def serving_database(environ: Mapping[str, str] | None = None) -> Path:
    """The published database: ``$CSKPI_SERVING_DIR/current/cskpi.duckdb`` (default data/serving)."""
    env = os.environ if environ is None else environ
    serving = Path(env.get("CSKPI_SERVING_DIR") or DEFAULT_SERVING_DIR)
    if not serving.is_absolute():
        serving = Path.cwd() / serving
    return serving / DATABASE_RELATIVE


def connect(database: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection; NotPublishedError when the database file does not exist."""
    path = Path(database)
    if not path.is_file():
        raise NotPublishedError(
            f"nothing published yet at {path}: run `make run` (or `cskpi publish`) to publish the marts"
        )
    return duckdb.connect(str(path), read_only=True)


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'main' and table_name = ?", [table]
    ).fetchone()
    return row is not None and row[0] > 0


def latest_month(con: duckdb.DuckDBPyConnection) -> str:
    """The latest month (YYYY-MM) with a full month's activity.

    A month counts when its contacts reach half of the month before: the tail of an
    export (late surveys, a few stray calls after the cut) makes a month exist without
    making it worth a summary.
    """
    rows = con.execute(
        """
        select period_start, sum(denominator) as contacts
        from kpi_metrics
        where period_grain = 'month' and channel = 'all' and kpi_code = 'pre_sales_share'
        group by period_start
        order by period_start
        """
    ).fetchall()
    if not rows:
        row = con.execute(
            "select max(period_start) from kpi_metrics where period_grain = 'month' and channel = 'all'"
        ).fetchone()
        if row is None or row[0] is None:
            raise LookupError("kpi_metrics has no monthly rows; build the warehouse first (make run)")
        return str(row[0])[:7]
    chosen = rows[0][0]
    for (_, previous), (month, contacts) in zip(rows, rows[1:], strict=False):
        if (contacts or 0) >= 0.5 * (previous or 0):
            chosen = month
    return str(chosen)[:7]


def kpi_definitions(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """KPI code -> name, unit, higher_is_better, formula from the published ``kpi_definitions``
    table ({} on a version published without it)."""
    if not has_table(con, DEFINITIONS_TABLE):
        return {}
    rows = con.execute(
        "select kpi_code, kpi_name, unit, higher_is_better, formula from kpi_definitions order by kpi_code"
    ).fetchall()
    return {
        code: {"name": name, "unit": unit, "higher_is_better": bool(better), "formula": formula}
        for code, name, unit, better, formula in rows
    }
