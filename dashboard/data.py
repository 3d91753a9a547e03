"""Data access of the dashboard: read-only queries on the published serving database.

Pure functions over a DuckDB connection, no Streamlit: every function takes the
connection and plain filter values and returns lists of dicts (or a DataFrame for
charts), so they are unit-testable without a browser. The dashboard reads only the
published copy (``<CSKPI_SERVING_DIR>/current/cskpi.duckdb``), never the warehouse dbt
writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd

# The dashboard opens the published copy through the one serving reader.
# (re-exported names: the app calls them as data.connect etc.)
from cskpi.serving import NotPublishedError as NotPublishedError
from cskpi.serving import connect as connect
from cskpi.serving import has_table
from cskpi.serving import kpi_definitions as kpi_definitions
from cskpi.serving import serving_database as serving_database

GRAINS: tuple[str, ...] = ("month", "week", "day")
DIAGNOSTIC_GRAINS: tuple[str, ...] = ("month", "week")


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --------------------------------------------------------------------------- reference


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
