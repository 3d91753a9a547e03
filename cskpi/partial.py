"""Partial systems: the one line that names the raw tables absent from a run.

dbt decides presence at run time (macros/staging/raw_source.sql): an absent table reads as
empty and ``check_raw_contract`` logs ``absent raw tables: system/table, ...`` once; the
built ``dq_table_reconciliation`` keeps it as ``is_present``. ``cskpi build`` and ``cskpi run``
turn that list into one summary line, e.g. "telephony only: helpdesk, shop, workforce,
finance, surveys absent".
"""

from __future__ import annotations

from collections.abc import Iterable

from cskpi.contract import TABLES

ABSENT_PREFIX = "absent raw tables: "


def parse_absent(message: str) -> list[str] | None:
    """The table paths of check_raw_contract's log line, or None for any other message."""
    text = message.strip()
    if not text.startswith(ABSENT_PREFIX):
        return None
    return [part.strip() for part in text[len(ABSENT_PREFIX) :].split(",") if part.strip()]


def describe_absent(absent: Iterable[str]) -> str | None:
    """One line naming what is absent: whole systems by name, single tables as system/table.

    None when every raw table is present.
    """
    missing = set(absent)
    if not missing:
        return None
    systems = list(dict.fromkeys(t.system for t in TABLES))
    whole = [s for s in systems if all(t.path in missing for t in TABLES if t.system == s)]
    single = [t.path for t in TABLES if t.path in missing and t.system not in whole]
    present = [s for s in systems if s not in whole]
    names = ", ".join([*whole, *single])
    if whole and not single and len(present) <= 2:
        return f"{', '.join(present)} only: {names} absent"
    return f"partial landing: {names} absent"
