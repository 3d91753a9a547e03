"""The KPI summary printed at the end of ``make run`` and by ``cskpi report``.

This module reads the monthly KPI values (channel all) and the diagnostics of one month;
cskpi/report_formats.py renders them as text, markdown, csv or json, with the values
formatted by cskpi/formatting.py (the dashboard's formatter too).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from cskpi.kpis import catalogue
from cskpi.report_formats import render
from cskpi.serving import connect, has_table, latest_month

# The KPIs shown in the summary, in reading order (--all-kpis adds the rest of the catalogue).
SUMMARY_KPIS: tuple[str, ...] = (
    "service_level",
    "avg_speed_of_answer",
    "call_abandonment_rate",
    "avg_call_duration",
    "first_contact_resolution",
    "repeat_contact_rate",
    "csat",
    "nps",
    "first_response_time",
    "escalation_rate",
    "pre_sales_share",
    "interactions_per_order",
    "cost_per_interaction",
)
CHANNEL = "all"


@dataclass(frozen=True)
class KpiRow:
    market_code: str
    kpi_code: str
    value: float | None
    previous: float | None
    target: float | None
    meets_target: bool | None
    unit: str

    @property
    def change(self) -> float | None:
        """Change on the previous month in the KPI's unit (None when either month is unknown)."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass(frozen=True)
class Finding:
    market_code: str
    rule_code: str
    title: str
    severity: str
    evidence: str
    first_action: str


@dataclass(frozen=True)
class Summary:
    """One month of the report: a row for every market x KPI shown (unknown ones with null values)."""

    month: str
    previous_month: str
    markets: tuple[str, ...]
    kpi_codes: tuple[str, ...]
    rows: tuple[KpiRow, ...]
    # None: the database has no kpi_diagnostics table (published before it existed)
    findings: tuple[Finding, ...] | None
    channel: str = CHANNEL

    def row(self, market: str, kpi: str) -> KpiRow:
        for r in self.rows:
            if r.market_code == market and r.kpi_code == kpi:
                return r
        raise KeyError((market, kpi))


DIAGNOSTICS_TABLE = "kpi_diagnostics"
_SEVERITY_ORDER = "case severity when 'high' then 1 when 'medium' then 2 else 3 end"


def _number(value: float | Decimal | None) -> float | None:
    # targets are decimals in the warehouse; the report works in floats, and NaN is unknown
    if value is None or not math.isfinite(float(value)):
        return None
    return float(value)


def previous_month(month: str) -> str:
    first = dt.date.fromisoformat(f"{month}-01")
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def fetch(con: duckdb.DuckDBPyConnection, month: str, market: str | None) -> list[KpiRow]:
    """Monthly KPI values of ``month`` (YYYY-MM) with the previous month's value."""
    month_start = f"{month}-01"
    sql = """
        with cur as (
            select market_code, kpi_code, value, target, meets_target, unit, period_start
            from kpi_metrics
            where period_grain = 'month' and channel = ? and period_start = cast(? as date)
        ),
        prev as (
            select market_code, kpi_code, value
            from kpi_metrics
            where period_grain = 'month' and channel = ?
              and period_start = cast(cast(? as date) - interval 1 month as date)
        )
        select cur.market_code, cur.kpi_code, cur.value, prev.value, cur.target, cur.meets_target, cur.unit
        from cur left join prev using (market_code, kpi_code)
        where (? is null or cur.market_code = ?)
        order by cur.market_code, cur.kpi_code
    """
    rows = con.execute(sql, [CHANNEL, month_start, CHANNEL, month_start, market, market]).fetchall()
    return [
        KpiRow(m, k, _number(value), _number(prev), _number(target), meets, unit)
        for m, k, value, prev, target, meets, unit in rows
    ]


def fetch_diagnostics(con: duckdb.DuckDBPyConnection, month: str, market: str | None) -> list[Finding] | None:
    """Monthly findings of ``kpi_diagnostics`` for ``month``; None when the table is absent (older database)."""
    if not has_table(con, DIAGNOSTICS_TABLE):
        return None
    sql = f"""
        select market_code, rule_code, title, severity, evidence, first_action
        from {DIAGNOSTICS_TABLE}
        where period_grain = 'month' and period_start = cast(? as date)
          and (? is null or market_code = ?)
        order by market_code, {_SEVERITY_ORDER}, rule_code
    """
    rows = con.execute(sql, [f"{month}-01", market, market]).fetchall()
    return [Finding(*r) for r in rows]


def kpi_codes(all_kpis: bool = False) -> tuple[str, ...]:
    """The KPIs of the summary in reading order, each followed by its twins (business hours, SLA);
    ``all_kpis`` appends the rest in catalogue order."""
    summary = catalogue().with_twins(SUMMARY_KPIS)
    if not all_kpis:
        return summary
    return summary + tuple(c for c in catalogue().codes if c not in summary)


def summarise(
    rows: list[KpiRow], month: str, findings: list[Finding] | None = None, all_kpis: bool = False
) -> Summary:
    """The report of ``rows``: every market x KPI shown, a KPI absent for a market as a row of nulls."""
    markets = tuple(sorted({r.market_code for r in rows}))
    codes = kpi_codes(all_kpis)
    by_key = {(r.market_code, r.kpi_code): r for r in rows}
    cat = catalogue()
    full = []
    for market in markets:
        for code in codes:
            row = by_key.get((market, code))
            if row is None:
                row = KpiRow(market, code, None, None, None, None, cat.kpi(code).unit.code)
            full.append(row)
    return Summary(
        month=month,
        previous_month=previous_month(month),
        markets=markets,
        kpi_codes=codes,
        rows=tuple(full),
        findings=None if findings is None else tuple(findings),
    )


def load_summary(
    database: Path, month: str | None = None, market: str | None = None, all_kpis: bool = False
) -> Summary:
    """The summary of ``month`` (default: the latest full month) read from a warehouse or serving copy."""
    if not database.exists():
        raise FileNotFoundError(f"no warehouse at {database}; run `make run` first")
    con = connect(database)
    try:
        month = month or latest_month(con)
        rows = fetch(con, month, market)
        findings = fetch_diagnostics(con, month, market)
    finally:
        con.close()
    if not rows:
        raise LookupError(f"no KPI rows for month {month}" + (f" and market {market}" if market else ""))
    return summarise(rows, month, findings, all_kpis)


def report(
    database: Path, month: str | None = None, market: str | None = None, fmt: str = "text", all_kpis: bool = False
) -> str:
    """The report of ``database`` in format ``fmt`` (text, markdown, csv or json)."""
    return render(load_summary(database, month, market, all_kpis), fmt)
