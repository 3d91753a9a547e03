"""Pure builders of dbt CLI arguments, shared by ``cskpi build`` and the Dagster dbt step."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from cskpi.dbt_vars import check_vars


def parse_vars(text: str | None) -> dict[str, Any]:
    """Parse and check a ``--vars`` JSON object (cskpi/dbt_vars.py); empty text means no vars."""
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--vars must be a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"--vars must be a JSON object, got {type(value).__name__}")
    check_vars(value)
    return value


def _selection(values: str | Iterable[str] | None) -> str | None:
    if values is None:
        return None
    if isinstance(values, str):
        values = values.split()
    joined = " ".join(v.strip() for v in values if v and v.strip())
    return joined or None


def dbt_build_args(
    select: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    full_refresh: bool = False,
    vars: Mapping[str, Any] | None = None,  # noqa: A002 - mirrors the dbt flag name
    fail_fast: bool = False,
) -> list[str]:
    """Arguments for ``dbt build`` (seeds, models and tests in DAG order).

    Vars are serialised as compact JSON with sorted keys so identical settings give
    identical command lines (useful in logs and for reproducing a run by hand).
    """
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    if fail_fast:
        args.append("--fail-fast")
    if vars:
        args += ["--vars", json.dumps(dict(vars), sort_keys=True, separators=(",", ":"))]
    selected = _selection(select)
    if selected:
        args += ["--select", selected]
    excluded = _selection(exclude)
    if excluded:
        args += ["--exclude", excluded]
    return args


def dbt_parse_args() -> list[str]:
    """Arguments that (re)write ``target/manifest.json`` without touching the warehouse."""
    return ["parse", "--quiet"]


def dbt_show_args(sql: str, limit: int) -> list[str]:
    """Arguments that run one query on the target warehouse and log its rows as JSON
    (the ``ShowNode`` event of ``--log-format json``), through dbt's own connection."""
    return ["show", "--inline", sql, "--limit", str(limit), "--output", "json", "--log-format", "json"]
