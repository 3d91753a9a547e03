"""The dbt vars that reach SQL and the values each accepts.

dbt pastes a var's value into the compiled SQL, so a value like ``1; select 1`` or
``'/etc/hostname'`` would become SQL. Every var is checked twice with the same rules: here,
before dbt runs (``cskpi build``, ``cskpi run``, the Dagster dbt step), and inside dbt by the
generated macro ``checked_var()`` (macros/vars/var_rules.sql, written by scripts/gen_sources.py
from :data:`VAR_RULES`), so a plain ``dbt build --vars`` is covered too. A value is checked as
its text (``str(value)``), the same in Python and Jinja: an integer var takes ``7`` or ``"7"``,
not ``7.5``, ``true`` or ``"7 days"``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

INTEGER = r"[0-9]+"
NUMBER = r"[0-9]+([.][0-9]+)?"
# A date (optionally with a UTC time); the empty string means "not set" (the default applies).
DATE = r"([0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?)?"
IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]{0,62}"
# KPI catalogue expressions (numerator, denominator, known_when) are SQL over measure columns:
# names, numbers, arithmetic, comparisons, and/or/not, parentheses; no quotes, ';' or comments.
SQL_EXPRESSION = r"[A-Za-z0-9_ ().+*/<>=!-]+"
_COMMENT = re.compile(r"--|/\*")


@dataclass(frozen=True)
class Rule:
    """kind: integer | number (with bounds), choice, identifier, integer_map (identifier ->
    integer within bounds) or kpi_catalogue (its SQL expressions and names)."""

    kind: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    meaning: str = ""


VAR_RULES: dict[str, Rule] = {
    "service_level_seconds": Rule("integer", 1, 86_400, meaning="seconds"),
    "short_abandon_seconds": Rule("integer", 0, 3_600, meaning="seconds"),
    "fcr_window_days": Rule("integer", 1, 365, meaning="days"),
    "csat_positive_min": Rule("integer", 1, 5, meaning="a CSAT score"),
    "churn_inactivity_days": Rule("integer", 1, 3_650, meaning="days"),
    "fx_carry_forward_months": Rule("integer", 0, 24, meaning="months"),
    "ticket_first_reply_seconds": Rule("integer_map", 1, 2_592_000, meaning="channel: seconds"),
    "diagnostics_min_contacts": Rule("integer", 0, 1_000_000_000, meaning="contacts"),
    "future_tolerance_minutes": Rule("integer", 0, 10_080, meaning="minutes"),
    "quarantine_rate_threshold": Rule("number", 0, 1, meaning="a share of rows"),
    "quarantine_min_rows": Rule("integer", 0, 1_000_000_000, meaning="rows"),
    "contact_jump_factor": Rule("number", 1, 1_000_000, meaning="a factor"),
    "contact_jump_min_contacts": Rule("integer", 0, 1_000_000_000, meaning="contacts"),
    "lookback_days": Rule("integer", 0, 3_650, meaning="days"),
    "earliest_timestamp": Rule("date", meaning="the earliest accepted timestamp"),
    "business_calendar_end": Rule("date", meaning="the end of the business calendar, empty for next year"),
    "raw_format": Rule("choice", choices=("parquet", "csv")),
    "analyst_role": Rule("identifier", meaning="a database role name"),
    "kpi_catalogue": Rule("kpi_catalogue"),
}


class VarError(ValueError):
    """A dbt var outside its rule; the message names the var and what it accepts."""


def _matches(pattern: str, value: Any) -> bool:
    return re.fullmatch(pattern, str(value)) is not None


def _plain(number: float | None) -> str:
    """A bound as dbt prints it: 86400, 0.5 (never 8.64e+04)."""
    return str(int(number)) if number is not None and float(number).is_integer() else str(number)


def _bounds(rule: Rule) -> str:
    return f"between {_plain(rule.minimum)} and {_plain(rule.maximum)}"


def _check_number(name: str, rule: Rule, value: Any, pattern: str) -> None:
    word = "a whole number" if rule.kind in ("integer", "integer_map") else "a number"
    if not _matches(pattern, value) or not (rule.minimum <= float(str(value)) <= rule.maximum):  # type: ignore[operator]
        raise VarError(f"var {name}={value!r} must be {word} {_bounds(rule)} ({rule.meaning})")


def _check_expression(name: str, value: Any) -> None:
    if value is None:
        return
    if not _matches(SQL_EXPRESSION, value) or _COMMENT.search(str(value)):
        raise VarError(
            f"var {name}={value!r} must be a SQL expression of measure names, numbers, arithmetic and "
            "comparisons (no quotes, ';' or comments)"
        )


def _check_identifier(name: str, value: Any) -> None:
    if not _matches(IDENTIFIER, value):
        raise VarError(f"var {name}={value!r} must be a name of letters, digits and _ (at most 63)")


def _check_catalogue(name: str, value: Any) -> None:
    if not isinstance(value, Mapping) or not isinstance(value.get("kpis"), list):
        raise VarError(f"var {name} must be a mapping with a list 'kpis' (dbt_project.yml)")
    for channels in (value.get("channels") or {}).values():
        for channel in channels or []:
            _check_identifier(f"{name}.channels", channel)
    for kpi in value["kpis"]:
        if not isinstance(kpi, Mapping):
            raise VarError(f"var {name}.kpis: every KPI must be a mapping, got {kpi!r}")
        _check_identifier(f"{name}.kpis.code", kpi.get("code"))
        for key in ("numerator", "denominator", "known_when"):
            _check_expression(f"{name}.kpis[{kpi.get('code')}].{key}", kpi.get(key))


def check_var(name: str, value: Any) -> None:
    """Raise VarError when ``value`` is not acceptable for var ``name`` (unknown names pass)."""
    rule = VAR_RULES.get(name)
    if rule is None:
        return
    if rule.kind == "integer":
        _check_number(name, rule, value, INTEGER)
    elif rule.kind == "number":
        _check_number(name, rule, value, NUMBER)
    elif rule.kind == "choice":
        if str(value) not in rule.choices:
            raise VarError(f"var {name}={value!r} must be one of {', '.join(rule.choices)}")
    elif rule.kind == "identifier":
        _check_identifier(name, value)
    elif rule.kind == "date":
        if not _matches(DATE, value):
            raise VarError(f"var {name}={value!r} must be a date YYYY-MM-DD or YYYY-MM-DD HH:MM:SS ({rule.meaning})")
    elif rule.kind == "integer_map":
        if not isinstance(value, Mapping) or not value:
            raise VarError(f"var {name}={value!r} must be a mapping of {rule.meaning}")
        for key, item in value.items():
            _check_identifier(f"{name} key", key)
            _check_number(f"{name}.{key}", rule, item, INTEGER)
    elif rule.kind == "kpi_catalogue":
        _check_catalogue(name, value)
    else:  # pragma: no cover - a rule added without its check
        raise AssertionError(f"unknown rule kind {rule.kind!r}")


def check_vars(values: Mapping[str, Any]) -> None:
    """Check every var of a ``--vars`` object; an unknown name is refused (a typo would be ignored)."""
    unknown = sorted(set(values) - set(VAR_RULES))
    if unknown:
        raise VarError(f"unknown var(s) {', '.join(unknown)}; known: {', '.join(sorted(VAR_RULES))}")
    for name, value in values.items():
        check_var(name, value)


def render_macro() -> str:
    """macros/vars/var_rules.sql: VAR_RULES as the dbt macro var_rules() that checked_var() reads."""
    lines = []
    for name, rule in VAR_RULES.items():
        fields = [f"'kind': '{rule.kind}'"]
        if rule.minimum is not None:
            fields += [f"'minimum': {_plain(rule.minimum)}", f"'maximum': {_plain(rule.maximum)}"]
        if rule.choices:
            fields.append("'choices': [" + ", ".join(f"'{c}'" for c in rule.choices) + "]")
        if rule.meaning:
            fields.append(f"'meaning': '{rule.meaning}'")
        lines.append(f"        '{name}': {{{', '.join(fields)}}},")
    patterns = {
        "integer": INTEGER,
        "number": NUMBER,
        "date": DATE,
        "identifier": IDENTIFIER,
        "sql_expression": SQL_EXPRESSION,
    }
    pattern_lines = [f"        '{k}': '{v}'," for k, v in patterns.items()]
    return "\n".join(
        [
            "{#- Generated by scripts/gen_sources.py from cskpi/dbt_vars.py -- do not edit by hand. -#}",
            "",
            "{#- var_rules(): the values every dbt var that reaches SQL accepts (macro checked_var). -#}",
            "{% macro var_rules() -%}",
            "{{ return({",
            "    'patterns': {",
            *pattern_lines,
            "    },",
            "    'vars': {",
            *lines,
            "    },",
            "}) }}",
            "{%- endmacro %}",
            "",
        ]
    )
