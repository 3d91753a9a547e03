"""Formatting of KPI values for tiles, tables and captions (no Streamlit); value formats come
from the units of the KPI catalogue (cskpi.serving)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cskpi.serving import format_change, format_value


def fmt_value(value: float | None, unit: str) -> str:
    return format_value(value, unit)


def fmt_change(change: float | None, unit: str) -> str | None:
    """Signed change for st.metric's delta (None hides the delta)."""
    return format_change(change, unit)


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
