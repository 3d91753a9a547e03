"""Formatting of KPI values for tiles, tables and captions (no Streamlit)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "seconds":
        return fmt_seconds(value)
    if unit == "eur":
        return f"€{value:,.2f}"
    if unit == "ratio":
        return f"{value:.2f}"
    return f"{value:.1f}"


def fmt_seconds(value: float) -> str:
    if abs(value) < 120:
        return f"{value:.0f}s"
    if abs(value) < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def fmt_change(change: float | None, unit: str) -> str | None:
    """Signed change for st.metric's delta (None hides the delta)."""
    if change is None:
        return None
    if unit == "percent":
        return f"{change:+.1f} pp"
    if unit == "seconds":
        sign = "+" if change >= 0 else "-"
        return sign + fmt_seconds(abs(change))
    if unit == "eur":
        return f"{change:+.2f} €"
    if unit == "ratio":
        return f"{change:+.2f}"
    return f"{change:+.1f}"


def fmt_period(grain: str, start: dt.date) -> str:
    if grain == "month":
        return start.strftime("%b %Y")
    if grain == "week":
        iso = start.isocalendar()
        return f"W{iso.week:02d} {iso.year} ({start:%d %b})"
    return start.isoformat()


def target_caption(tile: dict[str, Any]) -> str:
    """'target 85.0% · missed' style caption of a KPI tile."""
    if tile.get("target") is None:
        return "no target"
    status = {True: "met", False: "missed"}.get(tile.get("meets_target"), "no value")
    return f"target {fmt_value(float(tile['target']), tile['unit'])} · {status}"
