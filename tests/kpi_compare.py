"""Row-by-row comparison of kpi_metrics between two engines (shared by the PostgreSQL and Spark tests)."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

KPI_KEY = ("period_grain", "period_start", "market_code", "channel", "kpi_code")
REL_TOL = 1e-6


def normalise(value: object) -> object:
    """Engine-neutral value: decimals as floats, midnight timestamps as dates."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime) and value == datetime(value.year, value.month, value.day):
        return value.date()
    return value


def same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        if math.isnan(float(a)) and math.isnan(float(b)):  # type: ignore[arg-type]
            return True
        return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=1e-9)  # type: ignore[arg-type]
    return a == b


def keyed(columns: list[str], rows: list[tuple]) -> dict[tuple, dict[str, object]]:
    """kpi_metrics rows by their key; a duplicate key fails."""
    out: dict[tuple, dict[str, object]] = {}
    for row in rows:
        record = {c: normalise(v) for c, v in zip(columns, row, strict=True)}
        key = tuple(record[k] for k in KPI_KEY)
        assert key not in out, f"duplicate kpi_metrics key {key}"
        out[key] = record
    return out
