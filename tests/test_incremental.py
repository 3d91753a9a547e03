"""Incremental nightly refresh == one full refresh (idempotent, late rows included).

A small data set (2 markets, dirt 0.01: duplicates, late updates, invalid rows) is generated
once. The landing folder is then fed night by night: night n gets the rows with
_loaded_at <= night n as one part file per table (duckdb COPY). A deterministic ~5 % of the
rows is delivered one night late (their _loaded_at is older than the watermark of the previous
run, inside the lookback), so the lookback is exercised. Night 0 is a full build, the
following nights are incremental `dbt run`s, the last night a `dbt build` (models + data
tests). The marts (fct_*, dim_*, kpi_*, dq_*) must then equal a --full-refresh build on the
final landing folder row by row, and running the last night again must change nothing.

dbt runs in process with one parsed manifest (the landing path never changes), which keeps the
module at a few minutes on a busy two-core machine.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fixtures.landing import NIGHTLY_TABLES, land_night, late_bucket

from cskpi.publish import RUN_LOG_TABLES

ROOT = Path(__file__).resolve().parents[1]
CSKPI = str(Path(sys.executable).with_name("cskpi"))
START = dt.date(2024, 1, 1)
DAYS = 21
FIRST_NIGHT = dt.datetime(2024, 1, 11, 12, 0)  # night 0: the initial full build
NIGHTS = 9  # daily cuts incl. night 0; one more, final night takes everything left (10 nights)
MODELS_ONLY = ("--resource-type", "seed", "--resource-type", "model")
MART_PREFIXES = ("fct_", "dim_", "kpi_", "dq_")


def _nights() -> list[dt.datetime | None]:
    """Cut-off _loaded_at per night; None = everything (the final night)."""
    cuts: list[dt.datetime | None] = [FIRST_NIGHT + dt.timedelta(days=i) for i in range(NIGHTS)]
    return [*cuts, None]


def _mart_tables(con: duckdb.DuckDBPyConnection, db: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = ? and table_schema = 'main'",
        [db],
    ).fetchall()
    # the run logs record each run (when it ran, what it saw): they differ between runs by design
    return sorted(r[0] for r in rows if r[0].startswith(MART_PREFIXES) and r[0] not in RUN_LOG_TABLES)


def _select_list(con: duckdb.DuckDBPyConnection, db: str, table: str) -> tuple[list[str], str]:
    """Columns (sorted) and a select list that rounds floating point values (sum order may differ)."""
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = 'main' and table_name = ? order by column_name",
        [db, table],
    ).fetchall()
    exprs = [
        f'round("{c}", 6) as "{c}"'
        if t.upper() in {"DOUBLE", "FLOAT", "REAL"} or t.upper().startswith("DECIMAL")
        else f'"{c}"'
        for c, t in cols
    ]
    return [c for c, _ in cols], ", ".join(exprs)


def _diff(a: Path, b: Path) -> dict[str, str]:
    """Per mart table, a description of how a and b differ (empty when identical)."""
    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only)")
    con.execute(f"attach '{b}' as b (read_only)")
    problems: dict[str, str] = {}
    tables_a, tables_b = _mart_tables(con, "a"), _mart_tables(con, "b")
    if tables_a != tables_b:
        problems["<tables>"] = f"{sorted(set(tables_a) ^ set(tables_b))}"
    for table in sorted(set(tables_a) & set(tables_b)):
        cols_a, sel = _select_list(con, "a", table)
        cols_b, _ = _select_list(con, "b", table)
        if cols_a != cols_b:
            problems[table] = f"columns differ: {sorted(set(cols_a) ^ set(cols_b))}"
            continue
        only_a = con.execute(
            f"select count(*) from (select {sel} from a.{table} except all select {sel} from b.{table})"
        ).fetchone()[0]
        only_b = con.execute(
            f"select count(*) from (select {sel} from b.{table} except all select {sel} from a.{table})"
        ).fetchone()[0]
        n = con.execute(f"select count(*) from a.{table}").fetchone()[0]
        if only_a or only_b:
            problems[table] = f"{only_a} rows only in {a.parent.name}, {only_b} only in {b.parent.name} (of {n})"
    con.close()
    return problems


def _close_duckdb() -> None:
    """dbt-duckdb keeps the warehouse open in process after a run; close it (checkpoint) so the
    file can be copied and attached."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    if env is not None:
        env.close()
        DuckDBConnectionManager._ENV = None


class Dbt:
    """dbt in process with one parsed manifest; the warehouse file is chosen per call."""

    def __init__(self, landing: Path, db: Path) -> None:
        from dbt.cli.main import dbtRunner

        # The manifest holds the database name (the file stem): every warehouse file is
        # called warehouse.duckdb, in its own folder.
        os.environ.update(
            {
                "DBT_PROFILES_DIR": str(ROOT),
                "CSKPI_RAW_DIR": str(landing),
                "CSKPI_THREADS": "2",
                "CSKPI_DUCKDB_PATH": str(db),
                # dirt 0.01 per class quarantines more than the 5% the data check allows by default
                "CSKPI_QUARANTINE_THRESHOLD": "0.2",
            }
        )
        parsed = dbtRunner().invoke(["parse", "--project-dir", str(ROOT), "--quiet"])
        assert parsed.success, parsed.exception
        self.runner = dbtRunner(manifest=parsed.result)

    def __call__(self, db: Path, *args: str) -> None:
        os.environ["CSKPI_DUCKDB_PATH"] = str(db)
        started = time.perf_counter()
        result = self.runner.invoke([*args, "--project-dir", str(ROOT), "--quiet"])
        print(f"dbt {' '.join(args)}: {time.perf_counter() - started:.0f}s", file=sys.stderr)
        _close_duckdb()
        assert result.success, f"dbt {' '.join(args)} failed: {result.exception}"


@pytest.fixture(scope="module")
def nightly(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    names = ("DBT_PROFILES_DIR", "CSKPI_RAW_DIR", "CSKPI_DUCKDB_PATH", "CSKPI_THREADS", "CSKPI_QUARANTINE_THRESHOLD")
    saved = {k: os.environ.get(k) for k in names}
    work = tmp_path_factory.mktemp("incremental")
    full, landing = work / "generated", work / "landing"
    subprocess.run(
        [
            CSKPI,
            "generate",
            "--out",
            str(full),
            "--start",
            START.isoformat(),
            "--days",
            str(DAYS),
            "--scale",
            "1",
            "--markets",
            "RO,PL",
            "--dirt",
            "0.01",
            "--quiet",
        ],
        check=True,
        cwd=ROOT,
    )
    con = duckdb.connect()
    dbt = None

    def warehouse(name: str) -> Path:
        (work / name).mkdir()
        return work / name / "warehouse.duckdb"

    inc = warehouse("incremental")
    nights = _nights()
    try:
        for i, cut in enumerate(nights):
            prev = nights[i - 1] if i > 0 else None
            prev2 = nights[i - 2] if i > 1 else None
            land_night(con, full, landing, i, cut, prev, prev2)
            if dbt is None:
                # Night 0: the initial full build. Models only: on a partial landing set a
                # relationships test can fail (a call whose customer loads the next night).
                dbt = Dbt(landing, inc)  # parse after the first files exist
                dbt(inc, "build", *MODELS_ONLY)
            elif cut is None:
                dbt(inc, "build", "--exclude-resource-type", "unit_test")
            else:
                dbt(inc, "run")
        assert dbt is not None
        # every generated row has landed exactly once
        for table in NIGHTLY_TABLES:
            landed = con.execute(f"select count(*) from read_parquet('{landing / table}/*.parquet')").fetchone()[0]
            generated = con.execute(f"select count(*) from read_parquet('{full / table}/*.parquet')").fetchone()[0]
            assert landed == generated, table
        last = warehouse("last_night")
        last.write_bytes(inc.read_bytes())
        rerun = warehouse("rerun")
        rerun.write_bytes(inc.read_bytes())
        dbt(rerun, "run")
        refreshed = warehouse("full_refresh")
        dbt(refreshed, "build", "--full-refresh", *MODELS_ONLY)
        yield {"incremental": last, "rerun": rerun, "full_refresh": refreshed, "landing": landing, "generated": full}
    finally:
        con.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_late_rows_were_delivered_late(nightly: dict[str, Path]) -> None:
    """The feed really holds rows back behind the previous night's watermark."""
    con = duckdb.connect()
    late = con.execute(
        f"select count(*) from read_parquet('{nightly['landing']}/helpdesk/ticket_events/part-night*.parquet', "
        f"filename=true) where {late_bucket('helpdesk/ticket_events')} and filename not like '%night00%'"
    ).fetchone()[0]
    assert late > 0


def test_incremental_nights_equal_full_refresh(nightly: dict[str, Path]) -> None:
    assert _diff(nightly["incremental"], nightly["full_refresh"]) == {}


def test_rerunning_a_night_changes_nothing(nightly: dict[str, Path]) -> None:
    assert _diff(nightly["incremental"], nightly["rerun"]) == {}


def test_compare_sees_a_difference(nightly: dict[str, Path], tmp_path: Path) -> None:
    """The comparison is not vacuous: one changed fact row is reported."""
    changed = tmp_path / "changed.duckdb"
    changed.write_bytes(nightly["full_refresh"].read_bytes())
    con = duckdb.connect(str(changed))
    con.execute(
        "update fct_contacts set is_fcr = not is_fcr where contact_id = (select min(contact_id) from fct_contacts)"
    )
    con.close()
    assert set(_diff(nightly["full_refresh"], changed)) == {"fct_contacts"}
