"""``cskpi check-landing``: what a landing folder holds and what a run on it would do, without dbt.

DuckDB reads the landing files directly (as the DuckDB target does) and reports, per raw and
reference table: present or absent, rows, time range; then the problems a run would hit:
errors (the run stops: a required column missing, a bad reference row, an order or cost
needing an FX rate no row covers) and warnings (rows quarantined for an unknown market,
provisional carried-forward FX rates), and which KPIs will be null because their input
tables are absent (the ``inputs`` of the KPI catalogue, dbt_project.yml).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from cskpi.contract import REFERENCE_SEEDS, REFERENCE_SYSTEM, REFERENCE_TABLES, TABLES, Table
from cskpi.kpis import Catalogue
from cskpi.loaders.landing import DUCKDB_TYPES, LandingTable, csv_scan, landing_files

ERROR = "ERROR"
WARN = "WARN"
# Shown per problem kind before "... and N more".
SAMPLE = 5


@dataclass(frozen=True)
class Problem:
    severity: str  # ERROR: the run would stop; WARN: it runs, with quarantined or provisional rows
    message: str


@dataclass
class TableStatus:
    table: Table
    paths: tuple[Path, ...] = ()
    file_format: str = ""
    rows: int | None = None
    time_column: str | None = None
    first: str | None = None
    last: str | None = None

    @property
    def present(self) -> bool:
        return bool(self.paths)


@dataclass
class LandingReport:
    raw_dir: Path
    tables: list[TableStatus] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    null_kpis: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # code, absent input group

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _scan(files: tuple[Path, ...], fmt: str) -> str:
    paths = "[" + ", ".join(_quote(str(p)) for p in files) + "]"
    if fmt == "parquet":
        return f"read_parquet({paths}, union_by_name = true)"
    return f"read_csv({paths}, header = true, union_by_name = true, all_varchar = true)"


def _time_column(t: Table) -> str | None:
    """The attribution time of a table's rows: its first timestamp or date column."""
    for column in t.columns:
        if column.type in ("timestamp", "date") and column.name != "_loaded_at":
            return column.name
    return None


def _typed_view(con: duckdb.DuckDBPyConnection, status: TableStatus, view: str, report: LandingReport) -> list[str]:
    """Register ``view`` with the contract columns try-cast to their types; returns missing columns.
    Raw CSV files are read as the DuckDB target parses them: lines that do not parse and files
    lacking a column are warnings (quarantined) and left out of the view."""
    if status.file_format == "csv" and status.table.system != REFERENCE_SYSTEM:
        scan, problems, missing = csv_scan(con, LandingTable(status.table, status.paths, "csv"))
        if missing:
            return missing
        report.problems += [
            Problem(WARN, f"{status.table.path}: {p} (quarantined as malformed_line / missing_column)")
            for p in problems
        ]
    else:
        scan = _scan(status.paths, status.file_format)
        present = {row[0].lower() for row in con.execute(f"describe select * from {scan}").fetchall()}
        missing = [c.name for c in status.table.columns if c.name.lower() not in present]
        if missing:
            return missing
    cols = ", ".join(f'try_cast("{c.name}" as {DUCKDB_TYPES[c.type]}) as "{c.name}"' for c in status.table.columns)
    con.execute(f'create or replace temp view "{view}" as select {cols} from {scan}')
    return []


def _view_name(t: Table) -> str:
    return f"{t.system}__{t.name}"


def _seed_view(con: duckdb.DuckDBPyConnection, project: Path, seed: str, view: str) -> None:
    path = project / "seeds" / f"{seed}.csv"
    con.execute(f'create or replace temp view "{view}" as select * from read_csv({_quote(str(path))}, header = true)')


def _reference_problems(con: duckdb.DuckDBPyConnection, project: Path, t: Table) -> list[Problem]:
    view = _view_name(t)
    key = ", ".join(t.primary_key)
    label = " || ', ' || ".join(f"'{c}=' || coalesce(cast({c} as varchar), 'null')" for c in t.primary_key)
    checks = [f"select 'reference/{t.name}: ' || count(*) || ' rows have key ' || {label} from {view} "
              f"group by {key} having count(*) > 1"]
    checks += [f"select 'reference/{t.name} row ' || {label} || ': {c} is empty' from {view} where {c} is null"
               # a nullable key column (channel, priority) reads empty as "all"
               for c in dict.fromkeys(c.name for c in t.columns if not c.nullable)]
    if t.name in ("markets", "fx_rates"):
        _seed_view(con, project, "iso_currencies", "iso_currencies")
        checks.append(
            f"select 'reference/{t.name} row ' || {label} || ': currency ''' || currency || "
            f"''' is not an ISO 4217 currency code' from {view} "
            "where currency not in (select currency_code from iso_currencies)"
        )
    if t.name == "markets":
        _seed_view(con, project, "iso_countries", "iso_countries")
        checks.append(
            f"select 'reference/markets row ' || {label} || ': market_code is not an ISO 3166-1 alpha-2 country code' "
            f"from {view} where market_code not in (select country_code from iso_countries)"
        )
        checks.append(
            f"select 'reference/markets row ' || {label} || ': time zone ''' || timezone || "
            f"''' is not an IANA time zone the database knows' from {view} "
            "where timezone not in (select name from pg_timezone_names())"
        )
    if t.name == "fx_rates":
        checks.append(
            f"select 'reference/fx_rates row ' || {label} || ': eur_per_unit must be greater than 0' "
            f"from {view} where not (eur_per_unit > 0)"
        )
    messages = [row[0] for sql in checks for row in con.execute(sql).fetchall()]
    return [Problem(ERROR, m) for m in sorted(messages)]


def _merged_reference(con: duckdb.DuckDBPyConnection, project: Path, t: Table, landed: bool) -> None:
    """View ``ref_<name>``: the shipped seed extended and overridden by key by the landed rows."""
    seed_view = f"seed_{t.name}"
    _seed_view(con, project, REFERENCE_SEEDS[t.name], seed_view)
    cols = ", ".join(f"cast({c.name} as {DUCKDB_TYPES[c.type]}) as {c.name}" for c in t.columns)
    if not landed:
        con.execute(f"create or replace temp view ref_{t.name} as select {cols} from {seed_view}")
        return
    join = " and ".join(f"s.{k} = l.{k}" for k in t.primary_key)
    names = ", ".join(c.name for c in t.columns)
    con.execute(
        f"create or replace temp view ref_{t.name} as "
        f"select {names} from {_view_name(t)} "
        f"union all select {cols} from {seed_view} s "
        f"where not exists (select 1 from {_view_name(t)} l where {join})"
    )


def _carry_forward_months(project: Path) -> int:
    with (project / "dbt_project.yml").open(encoding="utf-8") as handle:
        return int(yaml.safe_load(handle)["vars"].get("fx_carry_forward_months", 3))


def _fx_problems(con: duckdb.DuckDBPyConnection, present: set[str], carry: int) -> list[Problem]:
    needs = []
    if "shop/orders" in present:
        needs.append(
            "select o.currency,"
            " cast(date_trunc('month', timezone(m.timezone, o.ordered_at at time zone 'UTC')) as date) as rate_month"
            " from shop__orders o join ref_markets m on o.market_code = m.market_code"
            " where o.total_amount is not null and o.ordered_at is not null"
        )
    if "finance/operating_costs" in present:
        needs.append(
            "select currency, cast(date_trunc('month', cost_month) as date) as rate_month"
            " from finance__operating_costs where amount is not null and cost_month is not null"
        )
    if not needs:
        return []
    sql = f"""
        with needed as ({" union all ".join(needs)}),
        needs as (select currency, rate_month, count(*) as row_count from needed group by all),
        last_rate as (select currency, max(rate_month) as last_month from ref_fx_rates group by currency)
        select
            needs.currency, needs.rate_month, needs.row_count, last_rate.last_month,
            exists (
                select 1 from ref_fx_rates r
                where r.currency is not distinct from needs.currency and r.rate_month = needs.rate_month
            ) as published
        from needs left join last_rate on needs.currency = last_rate.currency
        order by needs.currency nulls first, needs.rate_month
    """
    problems = []
    for currency, month, rows, last_month, published in con.execute(sql).fetchall():
        if published:
            continue
        name = currency if currency is not None else "(null)"
        month_text = month.isoformat()[:7]
        within = last_month is not None and month > last_month and (
            (month.year - last_month.year) * 12 + month.month - last_month.month <= carry
        )
        if within:
            problems.append(Problem(
                WARN,
                f"provisional FX rate for currency {name} in month {month_text}: the rate of "
                f"{last_month.isoformat()[:7]} is carried forward ({rows} rows)",
            ))
        else:
            problems.append(Problem(
                ERROR,
                f"no FX rate to EUR for currency {name} in month {month_text} ({rows} rows); "
                "add it to reference/fx_rates",
            ))
    return problems


def _unknown_markets(con: duckdb.DuckDBPyConnection, t: Table) -> list[Problem]:
    column = t.market_column
    sql = (
        f"select coalesce({column}, '(null)'), count(*) from {_view_name(t)} "
        f"where {column} is null or {column} not in (select market_code from ref_markets) group by 1 order by 1"
    )
    found = con.execute(sql).fetchall()
    if not found:
        return []
    shown = ", ".join(f"{market} ({rows} rows)" for market, rows in found[:SAMPLE])
    more = f" and {len(found) - SAMPLE} more" if len(found) > SAMPLE else ""
    return [Problem(
        WARN,
        f"{t.path}: unknown market(s) {shown}{more}: quarantined as unknown_market (add them to reference/markets)",
    )]


def check_landing(raw_dir: Path, project: Path, catalogue: Catalogue) -> LandingReport:
    report = LandingReport(raw_dir)
    if not raw_dir.is_dir():
        report.problems.append(Problem(ERROR, f"raw landing folder {raw_dir} does not exist"))
        return report
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    try:
        present: set[str] = set()
        usable: set[str] = set()
        for t in (*TABLES, *REFERENCE_TABLES):
            files, fmt = landing_files(raw_dir, t)
            status = TableStatus(t, files, fmt)
            report.tables.append(status)
            if not files:
                continue
            present.add(t.path)
            try:
                missing = _typed_view(con, status, _view_name(t), report)
            except duckdb.Error as exc:
                report.problems.append(Problem(ERROR, f"{t.path}: cannot read the landing files: {exc}"))
                continue
            if missing:
                report.problems.append(Problem(
                    ERROR, f"{t.path}: landing files lack required column(s) {', '.join(missing)} ({files[0].parent})"
                ))
                continue
            usable.add(t.path)
            if fmt == "csv" and t.system != REFERENCE_SYSTEM:
                hint = """--vars '{"raw_format": "csv"}'"""
                message = f"{t.path}: CSV files only; the DuckDB target reads them with {hint}"
                report.problems.append(Problem(WARN, message))
            status.time_column = _time_column(t)
            if status.time_column:
                rows, first, last = con.execute(
                    f'select count(*), min("{status.time_column}"), max("{status.time_column}") from {_view_name(t)}'
                ).fetchone()
                status.first, status.last = (str(first) if first else None), (str(last) if last else None)
            else:
                rows = con.execute(f"select count(*) from {_view_name(t)}").fetchone()[0]
            status.rows = rows
        for t in REFERENCE_TABLES:
            landed = t.path in usable
            if landed:
                report.problems += _reference_problems(con, project, t)
            _merged_reference(con, project, t, landed)
        for t in TABLES:
            if t.path in usable and t.market_column:
                report.problems += _unknown_markets(con, t)
        report.problems += _fx_problems(con, usable, _carry_forward_months(project))
        for kpi in catalogue.kpis:
            group = kpi.null_without(present)
            if group is not None:
                report.null_kpis.append((kpi.code, group))
    finally:
        con.close()
    return report


def render(report: LandingReport) -> str:
    lines = [f"landing folder {report.raw_dir}", ""]
    lines.append(f"{'table':<34} {'status':<16} {'rows':>10}  time range")
    for s in report.tables:
        if not s.present:
            lines.append(f"{s.table.path:<34} absent")
            continue
        rows = f"{s.rows:,}" if s.rows is not None else "?"
        span = f"{s.time_column} {s.first} .. {s.last}" if s.time_column and s.first else ""
        lines.append(f"{s.table.path:<34} {'present (' + s.file_format + ')':<16} {rows:>10}  {span}".rstrip())
    absent_systems = sorted(
        {s.table.system for s in report.tables if s.table.system in {t.system for t in TABLES}}
        - {s.table.system for s in report.tables if s.present}
    )
    if absent_systems:
        lines += ["", f"absent systems: {', '.join(absent_systems)}"]
    lines += ["", "problems:" if report.problems else "problems: none"]
    lines += [f"  {p.severity:<5} {p.message}" for p in report.problems]
    if report.null_kpis:
        lines += ["", "KPIs that will be null (their input tables are absent):"]
        lines += [f"  {code}: no {' or '.join(group)}" for code, group in report.null_kpis]
    else:
        lines += ["", "KPIs that will be null: none (every KPI has its input tables)"]
    verdict = (
        f"{len(report.errors)} error(s): a run on this folder would stop" if report.errors
        else "no errors: a run on this folder can build and publish"
    )
    return "\n".join([*lines, "", verdict]) + "\n"
