"""The published serving copy opens in an older DuckDB client, as BI tools embed one.

The warehouse is written by the ``duckdb`` Python package; analysts and BI drivers often
run an older DuckDB 1.x library. The dev extras install the DuckDB CLI from PyPI
(``duckdb-cli``, a 1.x binary ``duckdb`` in the venv's bin) and these tests open the
published file and the Parquet export with it. Without the binary they skip locally and
fail on CI (env CI set).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from cskpi.publish import CURRENT, DATABASE_FILE, STORAGE_VERSION_ENV, publish

T0 = dt.datetime(2025, 1, 1, 2, 0, tzinfo=dt.UTC)
KPI_COLUMNS = (
    "period_grain, period_start, market_code, channel, kpi_code, numerator, denominator, value, unit, target, "
    "meets_target"
)
KPI_SQL = f"select {KPI_COLUMNS} from kpi_metrics order by period_grain, period_start, market_code, channel, kpi_code"


@pytest.fixture(scope="module")
def cli() -> Path:
    """The DuckDB CLI of the venv (dev extra duckdb-cli), never the Python package."""
    candidate = Path(sys.executable).parent / "duckdb"
    found = candidate if candidate.is_file() else (Path(p) if (p := shutil.which("duckdb")) else None)
    if found is None:
        reason = "the DuckDB CLI is not installed (pip install -e '.[dev]' brings duckdb-cli)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    return found


def run_cli(cli: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # -init /dev/null: a user's ~/.duckdbrc must not change what the test sees.
    return subprocess.run([str(cli), "-init", "/dev/null", *args], capture_output=True, text=True, timeout=120)


def cli_json(cli: Path, *args: str) -> list[dict]:
    proc = run_cli(cli, "-json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout or "[]")


def make_warehouse(path: Path) -> None:
    """kpi_metrics with the mart's columns and types, a fact and a dimension."""
    con = duckdb.connect(str(path))
    con.execute(
        """
        create table kpi_metrics as
        select
            g.grain as period_grain,
            date '2024-06-01' + cast(d.i as integer) * 7 as period_start,
            m.market as market_code,
            c.channel,
            k.kpi as kpi_code,
            cast(17 + d.i * 3 + k.n as double) as numerator,
            cast(23 + d.i as double) as denominator,
            case when k.kpi = 'nps' and d.i = 2 then null
                 else (17 + d.i * 3 + k.n) * 100.0 / (23 + d.i) end as value,
            case when k.kpi = 'aht' then 'seconds' else 'percent' end as unit,
            case when k.kpi = 'csat' then cast(85 as decimal(18, 4)) end as target,
            case when k.kpi = 'csat' then (17 + d.i * 3 + k.n) * 100.0 / (23 + d.i) >= 85.0 end as meets_target
        from (values ('day'), ('week'), ('month')) as g (grain)
        cross join range(4) as d (i)
        cross join (values ('PL'), ('RO')) as m (market)
        cross join (values ('all'), ('phone')) as c (channel)
        cross join (values ('csat', 1), ('nps', 2), ('aht', 3)) as k (kpi, n)
        """
    )
    con.execute("create table fct_calls as select range as call_id, range * 1.25 as talk_seconds from range(50)")
    con.execute(
        "create table dim_markets as select * from (values ('PL', 'Europe/Warsaw'), ('RO', 'Europe/Bucharest'))"
        " as t (market_code, timezone)"
    )
    con.close()


def python_rows(database: Path, sql: str) -> list[dict]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def _as_json_value(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def as_json_values(rows: list[dict]) -> list[dict]:
    """Python values as the CLI prints them in -json mode (dates and decimals as strings)."""
    return [{k: _as_json_value(v) for k, v in row.items()} for row in rows]


@pytest.fixture(scope="module")
def serving(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("serving_clients")
    make_warehouse(base / "wh.duckdb")
    publish(base / "wh.duckdb", base / "serving", "run-cli", now=T0)
    return base / "serving"


def test_cli_is_an_older_duckdb_than_the_writer(cli):
    """Otherwise the tests below would prove nothing about older readers."""
    proc = run_cli(cli, "--version")
    assert proc.returncode == 0, proc.stderr
    cli_version = tuple(int(x) for x in proc.stdout.split()[0].lstrip("v").split(".")[:2])
    writer_version = tuple(int(x) for x in duckdb.__version__.split(".")[:2])
    assert cli_version < writer_version, (proc.stdout, duckdb.__version__)


def test_cli_opens_the_published_database_read_only(cli, serving):
    database = serving / CURRENT / DATABASE_FILE
    from_cli = cli_json(cli, "-readonly", str(database), "-c", KPI_SQL)
    from_python = python_rows(database, KPI_SQL)
    assert len(from_python) == 3 * 4 * 2 * 2 * 3
    assert from_cli == as_json_values(from_python)
    counts = cli_json(cli, "-readonly", str(database), "-c", "select table_name, row_count from serving_tables")
    assert {r["table_name"]: r["row_count"] for r in counts} == {"kpi_metrics": 144, "fct_calls": 50, "dim_markets": 2}


def test_cli_reads_the_parquet_export(cli, serving):
    parquet = serving / CURRENT / "parquet"
    database = serving / CURRENT / DATABASE_FILE
    kpi_sql = (
        f"select {KPI_COLUMNS} from read_parquet('{parquet}/kpi_metrics/*/*.parquet', hive_partitioning = true)"
        " order by period_grain, period_start, market_code, channel, kpi_code"
    )
    assert cli_json(cli, "-c", kpi_sql) == as_json_values(python_rows(database, KPI_SQL))
    calls_sql = "select call_id, talk_seconds from {} order by call_id"
    from_cli = cli_json(cli, "-c", calls_sql.format(f"read_parquet('{parquet}/fct_calls.parquet')"))
    assert from_cli == as_json_values(python_rows(database, calls_sql.format("fct_calls")))


def test_the_newest_storage_format_is_what_older_clients_cannot_open(cli, tmp_path, monkeypatch):
    """The setting is what makes the file readable: the writer's own format is refused by the CLI."""
    make_warehouse(tmp_path / "wh.duckdb")
    monkeypatch.setenv(STORAGE_VERSION_ENV, "latest")
    publish(tmp_path / "wh.duckdb", tmp_path / "serving", "run-latest", now=T0)
    proc = run_cli(cli, "-readonly", str(tmp_path / "serving" / CURRENT / DATABASE_FILE), "-c", KPI_SQL)
    assert proc.returncode != 0
    assert "version number" in (proc.stderr + proc.stdout)
