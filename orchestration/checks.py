"""Asset checks that dbt tests cannot express well: they span tables or layers, need
thresholds from the environment, or must explain *which* rows are bad.

The logic lives in pure functions over plain rows (unit-tested without a warehouse);
the ``@asset_check`` wrappers only query DuckDB and turn the result into an
``AssetCheckResult``. Checks are built only for models present in the dbt manifest,
so the code location keeps loading while the project grows.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from cskpi.contract import TABLES
from orchestration import progress
from orchestration.resources import CheckSettings, WarehouseResource

Row = Mapping[str, Any]

# Facts that must keep every accepted staging row (one fact row per staging row).
FACT_STAGING_PAIRS: dict[str, str] = {
    "fct_calls": "stg_telephony__calls",
    "fct_tickets": "stg_helpdesk__tickets",
}

PERCENT_KPIS = frozenset(
    {
        "service_level",
        "call_abandonment_rate",
        "first_contact_resolution",
        "repeat_contact_rate",
        "csat",
        "esat",
        "ticket_resolution_rate",
        "reopen_rate",
        "escalation_rate",
        "pre_sales_share",
        "churn_rate",
    }
)
DURATION_KPIS = frozenset(
    {
        "avg_response_time",
        "avg_speed_of_answer",
        "aht",
        "aht_agent",
        "avg_call_duration",
        "first_response_time",
        "avg_resolution_time",
    }
)
PERCENT_UNITS = frozenset({"percent", "pct", "%"})
DURATION_UNITS = frozenset({"seconds", "second", "s", "sec"})
BOUNDED_KPIS: dict[str, tuple[float, float]] = {"nps": (-100.0, 100.0), "ces": (1.0, 7.0)}
# KPIs whose denominator is the number of contacts (SPEC §4), in order of preference.
CONTACT_DENOMINATOR_KPIS = ("pre_sales_share", "repeat_contact_rate", "interactions_per_order")
DAY_GRAINS = frozenset({"day", "daily", "date"})
ALL_CHANNELS = frozenset({"all", "ALL", "*"})


def staging_model_for(source_table: str) -> str:
    system, name = source_table.split("/", 1)
    return f"stg_{system}__{name}"


# ------------------------------------------------------------------ quarantine rate


@dataclass(frozen=True)
class QuarantineBreach:
    source_table: str
    raw_rows: int
    quarantined_rows: int
    rate: float
    reasons: dict[str, int] = field(default_factory=dict)
    sample_keys: tuple[str, ...] = ()

    def describe(self, threshold: float) -> str:
        reasons = ", ".join(f"{r}={n}" for r, n in sorted(self.reasons.items(), key=lambda kv: -kv[1]))
        samples = ", ".join(self.sample_keys)
        return (
            f"{self.source_table}: {self.rate:.1%} of raw rows quarantined "
            f"({self.quarantined_rows} of {self.raw_rows}) > {threshold:.1%}"
            + (f"; reasons: {reasons}" if reasons else "")
            + (f"; sample keys: {samples}" if samples else "")
        )


def quarantine_rate(row: Row) -> float:
    """Quarantined share of raw rows, computed here (not read from the model) so the
    scale (fraction vs percent) cannot be misread."""
    raw = int(row.get("raw_rows") or 0)
    return int(row.get("quarantined_rows") or 0) / raw if raw else 0.0


def quarantine_breaches(
    reconciliation: Iterable[Row],
    threshold: float,
    reasons: Mapping[str, Mapping[str, int]] | None = None,
    samples: Mapping[str, Sequence[str]] | None = None,
    min_rows: int = 1,
) -> list[QuarantineBreach]:
    """Tables whose quarantine rate exceeds ``threshold`` (a fraction, 0.05 = 5%) with at
    least ``min_rows`` quarantined rows (one bad row in a 19-row table is not a trend)."""
    breaches = []
    for row in reconciliation:
        rate = quarantine_rate(row)
        if rate > threshold and int(row.get("quarantined_rows") or 0) >= min_rows:
            table = str(row["source_table"])
            breaches.append(
                QuarantineBreach(
                    source_table=table,
                    raw_rows=int(row.get("raw_rows") or 0),
                    quarantined_rows=int(row.get("quarantined_rows") or 0),
                    rate=rate,
                    reasons=dict((reasons or {}).get(table, {})),
                    sample_keys=tuple((samples or {}).get(table, ()))[:5],
                )
            )
    return sorted(breaches, key=lambda b: -b.rate)


# ------------------------------------------------------------------ reconciliation


def reconciliation_problems(
    reconciliation: Iterable[Row], staging_counts: Mapping[str, int | None] | None = None
) -> list[str]:
    """raw = accepted + quarantined + duplicates per table, and accepted = staging rows."""
    problems = []
    seen = set()
    for row in reconciliation:
        table = str(row["source_table"])
        seen.add(table)
        raw, acc = int(row.get("raw_rows") or 0), int(row.get("accepted_rows") or 0)
        qrt, dup = int(row.get("quarantined_rows") or 0), int(row.get("duplicate_rows") or 0)
        if raw != acc + qrt + dup:
            problems.append(
                f"{table}: raw_rows {raw} != accepted {acc} + quarantined {qrt} + duplicates {dup} "
                f"(off by {raw - acc - qrt - dup})"
            )
        if staging_counts is not None:
            model = staging_model_for(table)
            count = staging_counts.get(model)
            if count is None:
                problems.append(f"{table}: staging model {model} not found in the warehouse")
            elif count != acc:
                problems.append(f"{table}: accepted_rows {acc} != {model} rows {count}")
    if staging_counts is not None:
        for table in (t.path for t in TABLES):
            if table not in seen:
                problems.append(f"{table}: missing from dq_table_reconciliation")
    return problems


def fact_staging_problems(counts: Mapping[str, int | None], pairs: Mapping[str, str]) -> list[str]:
    problems = []
    for fact, staging in pairs.items():
        f, s = counts.get(fact), counts.get(staging)
        if f is None or s is None:
            missing = fact if f is None else staging
            problems.append(f"{fact} vs {staging}: {missing} not found in the warehouse")
        elif f != s:
            problems.append(f"{fact} has {f} rows but {staging} has {s}")
    return problems


# ------------------------------------------------------------------ KPI sanity


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _where(row: Row) -> str:
    return (
        f"{row.get('kpi_code')} {row.get('period_grain')} {row.get('period_start')} "
        f"{row.get('market_code')}/{row.get('channel')}"
    )


def kpi_range_violations(rows: Iterable[Row]) -> list[str]:
    """Percent KPIs within 0..100, NPS within -100..100, CES within 1..7, durations >= 0."""
    problems = []
    for row in rows:
        code = str(row.get("kpi_code") or "")
        unit = str(row.get("unit") or "").lower()
        value = _num(row.get("value"))
        if value is None:
            continue
        if code in BOUNDED_KPIS:
            low, high = BOUNDED_KPIS[code]
            if not low <= value <= high:
                problems.append(f"{_where(row)}: value {value:g} outside {low:g}..{high:g}")
        elif code in PERCENT_KPIS or unit in PERCENT_UNITS:
            if not 0.0 <= value <= 100.0:
                problems.append(f"{_where(row)}: percent value {value:g} outside 0..100")
        elif (code in DURATION_KPIS or unit in DURATION_UNITS) and value < 0:
            problems.append(f"{_where(row)}: negative duration {value:g} s")
    return problems


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def daily_contacts(rows: Iterable[Row]) -> dict[str, dict[date, float]]:
    """Contacts per market and day from the daily, all-channel rows of a KPI whose
    denominator is contacts (first available of CONTACT_DENOMINATOR_KPIS per market)."""
    by_kpi: dict[str, dict[str, dict[date, float]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        if str(row.get("period_grain") or "").lower() not in DAY_GRAINS:
            continue
        if str(row.get("channel") or "") not in ALL_CHANNELS:
            continue
        code = str(row.get("kpi_code") or "")
        denominator = _num(row.get("denominator"))
        if code in CONTACT_DENOMINATOR_KPIS and denominator is not None:
            by_kpi[str(row.get("market_code"))][code][_as_date(row["period_start"])] = denominator
    result = {}
    for market, per_kpi in by_kpi.items():
        for code in CONTACT_DENOMINATOR_KPIS:
            if per_kpi.get(code):
                result[market] = dict(per_kpi[code])
                break
    return result


def day_over_day_jumps(
    series: Mapping[str, Mapping[date, float]], factor: float, min_contacts: float, lag_days: int = 7
) -> list[str]:
    """Days where a market's contacts grow or shrink by more than ``factor`` against the day
    ``lag_days`` before. The default compares with the same weekday a week earlier: quiet
    Sundays and busy Mondays differ by design, a broken export does not. Pairs where both
    sides are below ``min_contacts`` are ignored (small numbers are noisy)."""
    jumps = []
    for market, per_day in sorted(series.items()):
        for day in sorted(per_day):
            prev_day = day - timedelta(days=lag_days)
            if prev_day not in per_day:
                continue
            prev, cur = per_day[prev_day], per_day[day]
            if max(prev, cur) < min_contacts:
                continue
            if cur > prev * factor or prev > cur * factor:
                jumps.append(f"{market} {day}: contacts {prev:g} on {prev_day} -> {cur:g} (factor > {factor:g})")
    return jumps


# ------------------------------------------------------------------ warehouse helpers


def table_counts(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> dict[str, int | None]:
    """Row counts of dbt relations by name, whatever schema the project puts them in."""
    counts: dict[str, int | None] = {}
    for name in names:
        schema = find_schema(con, name)
        counts[name] = (
            None if schema is None else int(con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0])  # type: ignore[index]
        )
    return counts


def find_schema(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    rows = con.execute(
        "select table_schema from information_schema.tables "
        "where table_name = ? and table_catalog = current_database() "
        "order by (table_schema like 'raw%'), table_schema",
        [name],
    ).fetchall()
    return str(rows[0][0]) if rows else None


def query_rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    columns = [d[0] for d in cursor.description or []]
    return [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]


def _relation(con: duckdb.DuckDBPyConnection, name: str) -> str:
    schema = find_schema(con, name)
    if schema is None:
        raise LookupError(f"{name} not found in the warehouse; did the dbt build skip it?")
    return f'"{schema}"."{name}"'


def _result(check: str, passed: bool, description: str, *, warn: bool = False, **metadata: Any) -> AssetCheckResult:
    severity = AssetCheckSeverity.WARN if warn else AssetCheckSeverity.ERROR
    progress.report("check", check, "passed" if passed else ("warn" if warn else "failed"), description)
    return AssetCheckResult(passed=passed, severity=severity, description=description, metadata=metadata)


# ------------------------------------------------------------------ check definitions


def _quarantine_check(available: set[AssetKey]) -> AssetChecksDefinition | None:
    dq, qrt = AssetKey("dq_table_reconciliation"), AssetKey("fct_quarantined_rows")
    if dq not in available:
        return None

    @asset_check(
        asset=dq,
        name="quarantine_rate_below_threshold",
        additional_deps=[qrt] if qrt in available else None,
        description="Fails when a raw table quarantines more than CSKPI_QUARANTINE_THRESHOLD "
        "(default 5%) of its rows and at least CSKPI_QUARANTINE_MIN_ROWS (default 5) rows; "
        "names the table, the reasons and sample keys.",
    )
    def quarantine_rate_below_threshold(
        context: AssetCheckExecutionContext, warehouse: WarehouseResource, check_settings: CheckSettings
    ) -> AssetCheckResult:
        threshold = check_settings.resolved_quarantine_threshold()
        min_rows = check_settings.resolved_quarantine_min_rows()
        with warehouse.read_only() as con:
            recon = query_rows(con, f"select * from {_relation(con, 'dq_table_reconciliation')}")
            reasons: dict[str, dict[str, int]] = defaultdict(dict)
            samples: dict[str, list[str]] = defaultdict(list)
            if find_schema(con, "fct_quarantined_rows"):
                rel = _relation(con, "fct_quarantined_rows")
                for r in query_rows(con, f"select source_table, reason, count(*) n from {rel} group by 1, 2"):
                    reasons[r["source_table"]][str(r["reason"])] = int(r["n"])
                for r in query_rows(
                    con,
                    # Keyed rows first: "<null key>" tells the reader nothing they can look up.
                    f"select source_table, coalesce(row_key, '<null key>') k from {rel} "
                    "qualify row_number() over (partition by source_table order by row_key nulls last) <= 5",
                ):
                    samples[r["source_table"]].append(str(r["k"]))
        breaches = quarantine_breaches(recon, threshold, reasons, samples, min_rows=min_rows)
        rates = {str(r["source_table"]): round(quarantine_rate(r) * 100, 2) for r in recon}
        if breaches:
            text = "Quarantine rate over threshold: " + " | ".join(b.describe(threshold) for b in breaches)
        else:
            text = f"All {len(recon)} raw tables quarantine at most {threshold:.1%} of their rows."
        context.log.info(text)
        return _result(
            "dq_table_reconciliation:quarantine_rate_below_threshold",
            not breaches,
            text,
            threshold=threshold,
            breached_tables=MetadataValue.json([b.source_table for b in breaches]),
            breaches=MetadataValue.json(
                [
                    {
                        "table": b.source_table,
                        "rate": round(b.rate, 4),
                        "reasons": b.reasons,
                        "sample_keys": list(b.sample_keys),
                    }
                    for b in breaches
                ]
            ),
            quarantine_rate_percent=MetadataValue.json(rates),
        )

    return quarantine_rate_below_threshold


def _reconciliation_check(available: set[AssetKey]) -> AssetChecksDefinition | None:
    dq = AssetKey("dq_table_reconciliation")
    if dq not in available:
        return None
    staging = [AssetKey(staging_model_for(t.path)) for t in TABLES]

    @asset_check(
        asset=dq,
        name="raw_rows_reconcile_with_staging",
        additional_deps=[k for k in staging if k in available],
        description="raw = accepted + quarantined + duplicates per raw table, and accepted rows "
        "equal the staging model's row count.",
    )
    def raw_rows_reconcile_with_staging(warehouse: WarehouseResource) -> AssetCheckResult:
        with warehouse.read_only() as con:
            recon = query_rows(con, f"select * from {_relation(con, 'dq_table_reconciliation')}")
            counts = table_counts(con, [staging_model_for(t.path) for t in TABLES])
        problems = reconciliation_problems(recon, counts)
        text = "; ".join(problems) if problems else f"{len(recon)} raw tables reconcile with staging."
        return _result(
            "dq_table_reconciliation:raw_rows_reconcile_with_staging",
            not problems,
            text,
            problems=MetadataValue.json(problems),
            staging_rows=MetadataValue.json(counts),
        )

    return raw_rows_reconcile_with_staging


def _fact_checks(available: set[AssetKey]) -> list[AssetChecksDefinition]:
    checks = []
    for fact, staging in FACT_STAGING_PAIRS.items():
        if AssetKey(fact) not in available:
            continue

        def build(fact: str = fact, staging: str = staging) -> AssetChecksDefinition:
            @asset_check(
                asset=AssetKey(fact),
                name="row_count_matches_staging",
                additional_deps=[AssetKey(staging)] if AssetKey(staging) in available else None,
                description=f"{fact} keeps exactly one row per {staging} row.",
            )
            def row_count_matches_staging(warehouse: WarehouseResource) -> AssetCheckResult:
                with warehouse.read_only() as con:
                    counts = table_counts(con, [fact, staging])
                problems = fact_staging_problems(counts, {fact: staging})
                text = "; ".join(problems) if problems else f"{fact} = {staging} = {counts[fact]} rows."
                return _result(
                    f"{fact}:row_count_matches_staging", not problems, text, counts=MetadataValue.json(counts)
                )

            return row_count_matches_staging

        checks.append(build())
    return checks


def _kpi_checks(available: set[AssetKey]) -> list[AssetChecksDefinition]:
    kpi = AssetKey("kpi_metrics")
    if kpi not in available:
        return []

    @asset_check(
        asset=kpi,
        name="kpi_values_in_range",
        blocking=True,
        description="Percent KPIs 0..100, NPS -100..100, CES 1..7, no negative durations.",
    )
    def kpi_values_in_range(warehouse: WarehouseResource) -> AssetCheckResult:
        with warehouse.read_only() as con:
            rows = query_rows(
                con,
                f"select period_grain, period_start, market_code, channel, kpi_code, unit, value "
                f"from {_relation(con, 'kpi_metrics')}",
            )
        problems = kpi_range_violations(rows)
        text = (
            f"{len(problems)} KPI values out of range, e.g. " + "; ".join(problems[:10])
            if problems
            else f"{len(rows)} KPI values within their ranges."
        )
        return _result(
            "kpi_metrics:kpi_values_in_range",
            not problems,
            text,
            violations=len(problems),
            examples=MetadataValue.json(problems[:50]),
        )

    @asset_check(
        asset=kpi,
        name="daily_contacts_no_sudden_jumps",
        description="WARN when a market's daily contacts change by more than CSKPI_KPI_JUMP_FACTOR "
        "(default 3x) against the same weekday a week earlier.",
    )
    def daily_contacts_no_sudden_jumps(warehouse: WarehouseResource, check_settings: CheckSettings) -> AssetCheckResult:
        factor = check_settings.resolved_kpi_jump_factor()
        minimum = check_settings.resolved_kpi_jump_min_contacts()
        with warehouse.read_only() as con:
            rows = query_rows(
                con,
                f"select period_grain, period_start, market_code, channel, kpi_code, denominator "
                f"from {_relation(con, 'kpi_metrics')} where kpi_code in "
                f"({', '.join(repr(c) for c in CONTACT_DENOMINATOR_KPIS)})",
            )
        series = daily_contacts(rows)
        jumps = day_over_day_jumps(series, factor, minimum)
        text = (
            f"{len(jumps)} day-over-day jumps in daily contacts: " + "; ".join(jumps[:10])
            if jumps
            else f"No day-over-day jump beyond {factor:g}x in {len(series)} markets."
        )
        return _result(
            "kpi_metrics:daily_contacts_no_sudden_jumps",
            not jumps,
            text,
            warn=True,
            factor=factor,
            jumps=MetadataValue.json(jumps[:100]),
        )

    return [kpi_values_in_range, daily_contacts_no_sudden_jumps]


def build_python_checks(available: set[AssetKey]) -> list[AssetChecksDefinition]:
    """All Python checks whose target models exist in the manifest."""
    checks: list[AssetChecksDefinition] = []
    for single in (_quarantine_check, _reconciliation_check):
        built = single(available)
        if built is not None:
            checks.append(built)
    checks += _fact_checks(available)
    checks += _kpi_checks(available)
    return checks
