"""``cskpi report --format text|markdown|csv|json``: one month's KPI summary rendered.

text and markdown are for people (a table per month, markets side by side, the legend of
the target marker, then the diagnostics); csv and json are for scripts: one record per
market x KPI with stable column names (``COLUMNS``), the raw machine values next to the
formatted ones. Every formatted value comes from cskpi/formatting.py.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cskpi.formatting import NA, TARGET_LEGEND, format_change, format_value, target_mark, target_status
from cskpi.kpis import catalogue

if TYPE_CHECKING:
    from cskpi.report import Finding, KpiRow, Summary

# The record of one market x KPI in csv and json, in this order. Raw values are in the KPI's
# unit (percent 0-100, seconds, EUR); *_formatted are the strings the text report shows.
COLUMNS: tuple[str, ...] = (
    "month",
    "market_code",
    "kpi_code",
    "kpi_name",
    "unit",
    "value",
    "value_formatted",
    "previous_value",
    "previous_formatted",
    "change",
    "change_formatted",
    "target",
    "target_formatted",
    "meets_target",
    "target_status",
)
FINDING_COLUMNS: tuple[str, ...] = ("market_code", "rule_code", "title", "severity", "evidence", "first_action")


def _name(code: str) -> str:
    return catalogue().kpi(code).name


def record(row: KpiRow, month: str) -> dict[str, Any]:
    """The csv/json record of one market x KPI (keys: COLUMNS)."""
    return {
        "month": month,
        "market_code": row.market_code,
        "kpi_code": row.kpi_code,
        "kpi_name": _name(row.kpi_code),
        "unit": row.unit,
        "value": row.value,
        "value_formatted": format_value(row.value, row.unit),
        "previous_value": row.previous,
        "previous_formatted": format_value(row.previous, row.unit),
        "change": row.change,
        "change_formatted": format_change(row.change, row.unit),
        "target": row.target,
        "target_formatted": format_value(row.target, row.unit) if row.target is not None else NA,
        "meets_target": row.meets_target,
        "target_status": target_status(row.target, row.meets_target),
    }


def _value_cell(row: KpiRow) -> str:
    # a value without the marker keeps a blank in its place, so the column stays aligned
    return format_value(row.value, row.unit) + (target_mark(row.meets_target) or " ")


def _title(summary: Summary) -> str:
    return f"KPI summary for {summary.month}, channel {summary.channel} (change vs {summary.previous_month})"


def _table(summary: Summary) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the people's table: KPI name, then value and change per market."""
    header = ["KPI"]
    for market in summary.markets:
        header += [market, "change"]
    body = []
    for code in summary.kpi_codes:
        cells = [_name(code)]
        for market in summary.markets:
            row = summary.row(market, code)
            cells += [_value_cell(row), format_change(row.change, row.unit)]
        body.append(cells)
    return header, body


def render_text(summary: Summary) -> str:
    header, body = _table(summary)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = "".join("  " + c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return (first + rest).rstrip()

    lines = [_title(summary), "", line(header), *(line(r) for r in body), ""]
    lines += [f"Legend: {TARGET_LEGEND[0]}", f"        {TARGET_LEGEND[1]}"]
    if summary.findings is not None:
        lines += ["", _text_diagnostics(summary.findings, summary.month)]
    return "\n".join(lines)


def _text_diagnostics(findings: tuple[Finding, ...], month: str) -> str:
    lines = [f"Diagnostics for {month} (KPIs read together, kpi_diagnostics)"]
    if not findings:
        lines.append("  no diagnostic rule fired")
        return "\n".join(lines)
    for f in findings:
        lines.append(f"  {f.market_code}  {f.title} [{f.severity}]")
        lines.append(f"      evidence: {f.evidence}")
        lines.append(f"      action:   {f.first_action}")
    return "\n".join(lines)


def _md(text: str) -> str:
    # a cell's own * and | would turn into emphasis or a column break
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*")


def render_markdown(summary: Summary) -> str:
    header, body = _table(summary)
    lines = [f"### {_title(summary)}", ""]
    lines.append("| " + " | ".join(_md(h) for h in header) + " |")
    lines.append("|" + "|".join([":---", *(["---:"] * (len(header) - 1))]) + "|")
    lines += ["| " + " | ".join(_md(c.rstrip()) for c in r) + " |" for r in body]
    lines += ["", f"{_md(TARGET_LEGEND[0])}  ", _md(TARGET_LEGEND[1])]
    if summary.findings is not None:
        lines += ["", f"### Diagnostics for {summary.month}", ""]
        if not summary.findings:
            lines.append("No diagnostic rule fired.")
        for f in summary.findings:
            lines.append(
                f"- **{_md(f.market_code)}** {_md(f.title)} ({_md(f.severity)}): {_md(f.evidence)}. "
                f"First action: {_md(f.first_action)}"
            )
    return "\n".join(lines)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_csv(summary: Summary) -> str:
    """The KPI records only (one table); the diagnostics are in the json format."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in summary.rows:
        rec = record(row, summary.month)
        writer.writerow([_csv_cell(rec[c]) for c in COLUMNS])
    return out.getvalue().rstrip("\n")


def render_json(summary: Summary) -> str:
    document = {
        "month": summary.month,
        "previous_month": summary.previous_month,
        "channel": summary.channel,
        "markets": list(summary.markets),
        "kpis": [record(row, summary.month) for row in summary.rows],
        "diagnostics": None
        if summary.findings is None
        else [{c: getattr(f, c) for c in FINDING_COLUMNS} for f in summary.findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)


RENDERERS: dict[str, Callable[[Summary], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "csv": render_csv,
    "json": render_json,
}
FORMATS: tuple[str, ...] = tuple(RENDERERS)


def render(summary: Summary, fmt: str = "text") -> str:
    if fmt not in RENDERERS:
        raise ValueError(f"report format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return RENDERERS[fmt](summary)
