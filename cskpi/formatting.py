"""How KPI values read for people: the one formatter of ``cskpi report`` and the dashboard.

Formats come from the units of the KPI catalogue (``vars.kpi_catalogue.units`` in
dbt_project.yml, typed in cskpi/kpis.py): a unit's ``format`` renders a value and its
``change_format`` a change, both in the KPI's own unit (``+1.4 pp`` for a percentage,
``+0.50 €`` for a EUR amount). Units whose format is ``duration`` are seconds written
for people (see ``format_duration``). An unknown (null) value or change reads ``n/a``.
"""

from __future__ import annotations

import datetime as dt
import math

from cskpi.kpis import DURATION_FORMAT, Unit, catalogue

NA = "n/a"
# Appended to a value that misses its target (the report's legend explains it).
MISSED_MARK = "*"
# The report's legend, one line per symbol.
TARGET_LEGEND: tuple[str, str] = (
    f"{MISSED_MARK} after a value: the KPI misses its target (no mark: it meets its target or has none)",
    f"{NA}: unknown (no data for the period, or no previous period to compare with)",
)

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR


def _round_half_up(value: float) -> int:
    # round() rounds half to even (2.5 -> 2, 3.5 -> 4); people expect a half to round up.
    return math.floor(value + 0.5)


def _two_parts(amount: int, per: int, big_label: str, small_label: str) -> str:
    """``amount`` small units as big and small parts (``per`` small units make a big one)."""
    high, low = divmod(amount, per)
    return f"{high} {big_label}" if low == 0 else f"{high} {big_label} {low} {small_label}"


def format_duration(seconds: float, signed: bool = False) -> str:
    """Seconds as people read them, at most two parts, rounded (half up) to the smaller part.

    under 1 min: ``42 s`` (0 reads ``0 s``); under 1 h: ``4 min 12 s``; under 1 day:
    ``3 h 36 min``; from 1 day: ``2 d 5 h``. A part that rounds to zero is left out
    (``4 min``, ``3 h``, ``1 d``). The tier is chosen after rounding, so 59.6 s reads
    ``1 min``. ``signed`` prefixes ``+`` or ``-`` (for changes; a change that rounds to
    zero reads ``0 s``, without sign).
    """
    magnitude = abs(seconds)
    whole_seconds = _round_half_up(magnitude)
    if whole_seconds == 0:
        return "0 s"
    if whole_seconds < _MINUTE:
        text = f"{whole_seconds} s"
    elif whole_seconds < _HOUR:
        text = _two_parts(whole_seconds, _MINUTE, "min", "s")
    elif (minutes := _round_half_up(magnitude / _MINUTE)) * _MINUTE < _DAY:
        text = _two_parts(minutes, _HOUR // _MINUTE, "h", "min")
    else:
        text = _two_parts(_round_half_up(magnitude / _HOUR), _DAY // _HOUR, "d", "h")
    if seconds < 0:
        return "-" + text
    return ("+" if signed else "") + text


def unit(code: str) -> Unit | None:
    """The catalogue unit of ``code`` (None for a code the catalogue does not know)."""
    return catalogue().units.get(code)


def unit_label(unit_code: str) -> str:
    """The catalogue label of a unit (``EUR``, ``percent``), e.g. for a chart axis; the code when unknown."""
    spec = unit(unit_code)
    return unit_code if spec is None else spec.label


def format_value(value: float | None, unit_code: str) -> str:
    """A KPI value in the format of its catalogue unit (``n/a`` for null; 1 decimal for an unknown unit)."""
    if value is None:
        return NA
    spec = unit(unit_code)
    if spec is None:
        return f"{value:.1f}"
    if spec.format == DURATION_FORMAT:
        return format_duration(float(value))
    return spec.format.format(float(value))


def format_change(change: float | None, unit_code: str) -> str:
    """A signed change in the KPI's own unit (catalogue ``change_format``; ``n/a`` for null).

    A change that rounds to zero loses its minus sign (``+0.0 pp``, not ``-0.0 pp``).
    """
    if change is None:
        return NA
    spec = unit(unit_code)
    template = "{:+.1f}" if spec is None else spec.change_format
    if template == DURATION_FORMAT:
        return format_duration(float(change), signed=True)
    text = template.format(float(change))
    zero = template.format(0.0)
    if change < 0 and template.format(-float(change)) == zero:
        return zero
    return text


def target_status(target: float | None, meets_target: bool | None) -> str:
    """``met``, ``missed``, ``no target`` or ``no value`` (a target but an unknown value)."""
    if target is None:
        return "no target"
    return {True: "met", False: "missed"}.get(meets_target, "no value")


def target_mark(meets_target: bool | None) -> str:
    """The marker after a value in the report: ``*`` when it misses its target (see TARGET_LEGEND)."""
    return MISSED_MARK if meets_target is False else ""


def target_caption(target: float | None, meets_target: bool | None, unit_code: str) -> str:
    """``target 85.0% · missed`` (``no target`` for a KPI without one)."""
    if target is None:
        return "no target"
    return f"target {format_value(float(target), unit_code)} · {target_status(target, meets_target)}"


def format_period(grain: str, start: dt.date) -> str:
    """``Oct 2024`` for a month, ``W40 2024 (30 Sep)`` for an ISO week, the date for a day."""
    if grain == "month":
        return start.strftime("%b %Y")
    if grain == "week":
        iso = start.isocalendar()
        return f"W{iso.week:02d} {iso.year} ({start:%d %b})"
    return start.isoformat()
