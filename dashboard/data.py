"""Data access of the dashboard: read-only queries on the published serving database.

Pure functions over a DuckDB connection, no Streamlit: every function takes the
connection and plain filter values and returns lists of dicts (or a DataFrame for
charts), so they are unit-testable without a browser. The dashboard reads only the
published copy (``<CSKPI_SERVING_DIR>/current/cskpi.duckdb``), never the warehouse dbt
writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SERVING_DIR = "data/serving"
DATABASE_RELATIVE = Path("current") / "cskpi.duckdb"
KPI_DEFINITIONS_CSV = ROOT / "seeds" / "kpi_definitions.csv"
GRAINS: tuple[str, ...] = ("month", "week", "day")
DIAGNOSTIC_GRAINS: tuple[str, ...] = ("month", "week")


class NotPublishedError(FileNotFoundError):
    """Nothing has been published to the serving directory yet."""


def serving_database(environ: Mapping[str, str] | None = None) -> Path:
    """The published database: ``$CSKPI_SERVING_DIR/current/cskpi.duckdb`` (default data/serving)."""
    env = os.environ if environ is None else environ
    serving = Path(env.get("CSKPI_SERVING_DIR") or DEFAULT_SERVING_DIR)
    if not serving.is_absolute():
        serving = Path.cwd() / serving
    return serving / DATABASE_RELATIVE


def connect(database: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection; NotPublishedError when nothing is published yet."""
    if not database.is_file():
        raise NotPublishedError(
            f"nothing published yet at {database}: run `make run` (or `cskpi publish`) to publish the marts"
        )
    return duckdb.connect(str(database), read_only=True)


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'main' and table_name = ?", [table]
    ).fetchone()
    return row is not None and row[0] > 0


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --------------------------------------------------------------------------- reference


def kpi_definitions(path: Path = KPI_DEFINITIONS_CSV) -> dict[str, dict[str, Any]]:
    """KPI code -> name, unit, higher_is_better from the seed (the single KPI catalogue)."""
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as fh:
        return {
            row["kpi_code"]: {
                "name": row["kpi_name"],
                "unit": row["unit"],
                "higher_is_better": row["higher_is_better"].strip().lower() == "true",
                "formula": row["formula"],
            }
            for row in csv.DictReader(fh)
        }


def serving_info(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """Run id and build time of the published version, if recorded."""
    if not has_table(con, "serving_versions"):
        return None
    rows = _records(con, "select * from serving_versions")
    return rows[-1] if rows else None


def markets(con: duckdb.DuckDBPyConnection) -> list[str]:
    if has_table(con, "dim_markets"):
        return [r[0] for r in con.execute("select market_code from dim_markets order by market_code").fetchall()]
    return [r[0] for r in con.execute("select distinct market_code from kpi_metrics order by 1").fetchall()]


def channels(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Channels of kpi_metrics, 'all' first."""
    rows = con.execute("select distinct channel from kpi_metrics").fetchall()
    return sorted((r[0] for r in rows), key=lambda c: (c != "all", c))


def period_starts(con: duckdb.DuckDBPyConnection, grain: str, market: str | None = None) -> list[dt.date]:
    """Period starts of ``grain`` with KPI rows (optionally of one market), oldest first."""
    rows = con.execute(
        "select distinct period_start from kpi_metrics where period_grain = ? and channel = 'all'"
        " and (? is null or market_code = ?) order by 1",
        [grain, market, market],
    ).fetchall()
    return [r[0] for r in rows]


def previous_period_start(grain: str, start: dt.date) -> dt.date:
    if grain == "day":
        return start - dt.timedelta(days=1)
    if grain == "week":
        return start - dt.timedelta(days=7)
    return (start.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


# --------------------------------------------------------------------------- KPIs


def kpi_tiles(
    con: duckdb.DuckDBPyConnection, grain: str, period_start: dt.date, market: str, channel: str = "all"
) -> list[dict[str, Any]]:
    """One dict per KPI of the period: value, target, meets_target, previous value and change."""
    previous = previous_period_start(grain, period_start)
    sql = """
        select cur.kpi_code, cur.unit, cur.value, cur.target, cur.meets_target,
               cur.numerator, cur.denominator, prev.value as previous_value
        from kpi_metrics as cur
        left join kpi_metrics as prev
            on prev.period_grain = cur.period_grain and prev.market_code = cur.market_code
            and prev.channel = cur.channel and prev.kpi_code = cur.kpi_code
            and prev.period_start = ?
        where cur.period_grain = ? and cur.period_start = ? and cur.market_code = ? and cur.channel = ?
        order by cur.kpi_code
    """
    rows = _records(con, sql, [previous, grain, period_start, market, channel])
    for row in rows:
        value, prev = row["value"], row["previous_value"]
        row["change"] = None if value is None or prev is None else value - prev
    return rows


def kpi_trend(
    con: duckdb.DuckDBPyConnection,
    grain: str,
    start: dt.date,
    end: dt.date,
    market: str,
    channel: str = "all",
    kpi_codes: list[str] | None = None,
) -> pd.DataFrame:
    """KPI values and targets per period in [start, end] for charts (one row per period x KPI)."""
    sql = """
        select period_start, kpi_code, value, target, meets_target, unit
        from kpi_metrics
        where period_grain = ? and market_code = ? and channel = ?
          and period_start between ? and ?
        order by kpi_code, period_start
    """
    df = con.execute(sql, [grain, market, channel, start, end]).df()
    if kpi_codes is not None:
        df = df[df["kpi_code"].isin(kpi_codes)].reset_index(drop=True)
    return df


# --------------------------------------------------------------------------- diagnostics


def diagnostics_available(con: duckdb.DuckDBPyConnection) -> bool:
    return has_table(con, "kpi_diagnostics")


def diagnostics(
    con: duckdb.DuckDBPyConnection,
    grain: str,
    start: dt.date,
    end: dt.date,
    market: str | None = None,
) -> list[dict[str, Any]]:
    """Findings of kpi_diagnostics in [start, end] (newest first), each with ``actions`` (list)
    and ``evidence_rows`` (one dict per KPI the rule used, from kpi_diagnostic_evidence when
    published, else parsed from the evidence text)."""
    if not diagnostics_available(con):
        return []
    sql = """
        select period_grain, period_start, market_code, rule_code, title, severity, explanation,
               evidence, recommended_actions, first_action, conditions_count
        from kpi_diagnostics
        where period_grain = ? and period_start between ? and ? and (? is null or market_code = ?)
        order by period_start desc, market_code,
                 case severity when 'high' then 1 when 'medium' then 2 else 3 end, rule_code
    """
    findings = _records(con, sql, [grain, start, end, market, market])
    evidence: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    if findings and has_table(con, "kpi_diagnostic_evidence"):
        ev_sql = """
            select period_start, market_code, rule_code, condition_no, kpi_code, channel, comparison,
                   threshold, value, unit, target, meets_target, evidence_text
            from kpi_diagnostic_evidence
            where period_grain = ? and period_start between ? and ? and (? is null or market_code = ?)
            order by condition_no
        """
        for row in _records(con, ev_sql, [grain, start, end, market, market]):
            key = (row["period_start"], row["market_code"], row["rule_code"])
            evidence.setdefault(key, []).append(row)
    for f in findings:
        f["actions"] = [a.strip() for a in (f["recommended_actions"] or "").split("|") if a.strip()]
        key = (f["period_start"], f["market_code"], f["rule_code"])
        f["evidence_rows"] = evidence.get(key) or [
            {"evidence_text": part.strip()} for part in (f["evidence"] or "").split(";") if "=" in part
        ]
    return findings


def findings_count_by_period(
    con: duckdb.DuckDBPyConnection, grain: str, start: dt.date, end: dt.date, market: str | None = None
) -> list[dict[str, Any]]:
    """Number of findings per period and rule (for the diagnostics timeline)."""
    if not diagnostics_available(con):
        return []
    sql = """
        select period_start, rule_code, title, count(*) as findings
        from kpi_diagnostics
        where period_grain = ? and period_start between ? and ? and (? is null or market_code = ?)
        group by period_start, rule_code, title
        order by period_start, rule_code
    """
    return _records(con, sql, [grain, start, end, market, market])
