"""The KPI summary printed at the end of ``make run`` and by ``cskpi report``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from cskpi.serving import connect, has_table, latest_month

# The KPIs shown in the terminal summary, in reading order.
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


@dataclass(frozen=True)
class KpiRow:
    market_code: str
    kpi_code: str
    value: float | None
    previous: float | None
    target: float | None
    meets_target: bool | None
    unit: str


@dataclass(frozen=True)
class Finding:
    market_code: str
    rule_code: str
    title: str
    severity: str
    evidence: str
    first_action: str


DIAGNOSTICS_TABLE = "kpi_diagnostics"
_SEVERITY_ORDER = "case severity when 'high' then 1 when 'medium' then 2 else 3 end"


def fetch(con: duckdb.DuckDBPyConnection, month: str, market: str | None) -> list[KpiRow]:
    """Monthly KPI values of ``month`` (YYYY-MM) with the previous month's value."""
    month_start = f"{month}-01"
    sql = """
        with cur as (
            select market_code, kpi_code, value, target, meets_target, unit, period_start
            from kpi_metrics
            where period_grain = 'month' and channel = 'all' and period_start = cast(? as date)
        ),
        prev as (
            select market_code, kpi_code, value
            from kpi_metrics
            where period_grain = 'month' and channel = 'all'
              and period_start = cast(cast(? as date) - interval 1 month as date)
        )
        select cur.market_code, cur.kpi_code, cur.value, prev.value, cur.target, cur.meets_target, cur.unit
        from cur left join prev using (market_code, kpi_code)
        where (? is null or cur.market_code = ?)
        order by cur.market_code, cur.kpi_code
    """
    rows = con.execute(sql, [month_start, month_start, market, market]).fetchall()
    return [KpiRow(*r) for r in rows]


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


def render_diagnostics(findings: list[Finding], month: str) -> str:
    lines = [f"Diagnostics for {month} (KPIs read together, kpi_diagnostics)"]
    if not findings:
        lines.append("  no diagnostic rule fired")
        return "\n".join(lines)
    for f in findings:
        lines.append(f"  {f.market_code}  {f.title} [{f.severity}]")
        lines.append(f"      evidence: {f.evidence}")
        lines.append(f"      action:   {f.first_action}")
    return "\n".join(lines)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "percent":
        return f"{value:5.1f}%"
    if unit == "seconds":
        return f"{value:6.0f}s"
    return f"{value:7.2f}"


def render(rows: list[KpiRow], month: str) -> str:
    markets = sorted({r.market_code for r in rows})
    by_key = {(r.market_code, r.kpi_code): r for r in rows}
    width = 16
    lines = [f"KPI summary for {month} (channel all; * = misses target, change vs previous month)"]
    lines.append(f"{'kpi':<26}" + "".join(f"{m:>{width}}" for m in markets))
    for kpi in SUMMARY_KPIS:
        cells = []
        for m in markets:
            r = by_key.get((m, kpi))
            if r is None:
                cells.append(f"{'n/a':>{width}}")
                continue
            mark = "*" if r.meets_target is False else " "
            delta = ""
            if r.value is not None and r.previous is not None:
                delta = f"{r.value - r.previous:+.1f}"
            cells.append(f"{_fmt(r.value, r.unit) + mark + ' ' + delta:>{width}}")
        lines.append(f"{kpi:<26}" + "".join(cells))
    return "\n".join(lines)


def report(database: Path, month: str | None = None, market: str | None = None) -> str:
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
    text = render(rows, month)
    if findings is not None:
        text += "\n\n" + render_diagnostics(findings, month)
    return text
