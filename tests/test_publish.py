"""Atomic publish, versions, rollback and readers during a refresh."""

from __future__ import annotations

import multiprocessing as mp
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from serving_reader import reader_loop

from cskpi.cli import main
from cskpi.publish import (
    CURRENT,
    DATABASE_FILE,
    DEFAULT_STORAGE_VERSION,
    STORAGE_VERSION_ENV,
    current_version,
    list_versions,
    publish,
    rollback,
)

T0 = datetime(2025, 1, 1, 2, 0, tzinfo=UTC)


def make_warehouse(path: Path, rows: int) -> None:
    con = duckdb.connect(str(path))
    con.execute(
        "create or replace table kpi_metrics as select range as i, "
        "case when range % 3 = 0 then 'day' when range % 3 = 1 then 'week' else 'month' end as period_grain,"
        " range * 0.5 as value from range(?)",
        [rows],
    )
    con.execute("create or replace table fct_calls as select range as call_id from range(?)", [rows * 2])
    con.execute("create or replace table dim_markets as select 'RO' as market_code")
    con.execute("create or replace table stg_shop__customers as select 'secret@example.com' as email")
    con.execute("create or replace table fct_quarantined_rows as select 'x' as raw_row")
    con.close()


def read_current(serving: Path) -> dict[str, int]:
    con = duckdb.connect(str(serving / CURRENT / DATABASE_FILE), read_only=True)
    try:
        return dict(con.execute("select table_name, row_count from serving_tables").fetchall())
    finally:
        con.close()


def test_publish_copies_only_marts_with_version_table(tmp_path):
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    make_warehouse(wh, 30)
    v = publish(wh, serving, "run-1", now=T0)
    assert current_version(serving) == v.version_id
    counts = read_current(serving)
    assert counts == {"kpi_metrics": 30, "fct_calls": 60, "dim_markets": 1}
    con = duckdb.connect(str(serving / CURRENT / DATABASE_FILE), read_only=True)
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert "stg_shop__customers" not in tables and "fct_quarantined_rows" not in tables
    assert con.execute("select run_id from serving_versions").fetchone() == ("run-1",)
    con.close()
    parquet = serving / CURRENT / "parquet"
    assert (parquet / "fct_calls.parquet").exists()
    grains = sorted(p.name for p in (parquet / "kpi_metrics").iterdir())
    assert grains == ["period_grain=day", "period_grain=month", "period_grain=week"]
    glob = f"{parquet}/kpi_metrics/*/*.parquet"
    n = duckdb.connect().execute(f"select count(*) from read_parquet('{glob}')").fetchone()[0]
    assert n == 30


def test_identical_input_gives_identical_checksums(tmp_path):
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    make_warehouse(wh, 50)
    a = publish(wh, serving, "run-1", now=T0)
    b = publish(wh, serving, "run-2", now=T0 + timedelta(days=1))
    assert {t.name: t.checksum for t in a.tables} == {t.name: t.checksum for t in b.tables}
    make_warehouse(wh, 51)
    c = publish(wh, serving, "run-3", now=T0 + timedelta(days=2))
    assert {t.name: t.checksum for t in c.tables} != {t.name: t.checksum for t in b.tables}


def test_keep_prunes_and_rollback_restores_previous(tmp_path):
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    ids = []
    for day in range(4):
        make_warehouse(wh, 10 + day)
        ids.append(publish(wh, serving, f"run-{day}", keep=2, now=T0 + timedelta(days=day)).version_id)
    assert list_versions(serving) == ids[-2:]
    assert read_current(serving)["kpi_metrics"] == 13
    assert rollback(serving) == ids[-2]
    assert read_current(serving)["kpi_metrics"] == 12
    with pytest.raises(LookupError, match="oldest"):
        rollback(serving)


def test_failed_publish_leaves_current_untouched(tmp_path):
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    make_warehouse(wh, 10)
    good = publish(wh, serving, "good", now=T0)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(LookupError, match="no mart tables"):
        publish(empty, serving, "bad", now=T0 + timedelta(days=1))
    with pytest.raises(FileNotFoundError, match="build it first"):
        publish(tmp_path / "missing.duckdb", serving, "bad", now=T0 + timedelta(days=2))
    assert current_version(serving) == good.version_id
    assert read_current(serving)["kpi_metrics"] == 10
    assert list_versions(serving) == [good.version_id]
    assert not [p.name for p in (serving / "versions").iterdir() if p.name.endswith(".partial")]


def test_publish_reads_the_target_warehouse(tmp_path, monkeypatch):
    from cskpi.marts import DuckDBMarts, PostgresMarts, PublishDisabled, mart_source

    wh = tmp_path / "wh.duckdb"
    monkeypatch.setenv("CSKPI_DUCKDB_PATH", str(wh))
    monkeypatch.delenv("CSKPI_TARGET", raising=False)
    assert mart_source() == DuckDBMarts(wh)
    monkeypatch.setenv("CSKPI_TARGET", "postgres")
    monkeypatch.setenv("CSKPI_PG_SCHEMA", "marts_here")
    source = mart_source()
    assert isinstance(source, PostgresMarts) and source.settings.schema == "marts_here"
    assert "PostgreSQL postgresql://" in source.describe() and "schema marts_here" in source.describe()
    monkeypatch.setenv("CSKPI_TARGET", "spark")
    with pytest.raises(PublishDisabled, match="disabled on the spark target"):
        mart_source()


def test_postgres_types_map_to_duckdb_types():
    from cskpi.marts import duckdb_type

    assert duckdb_type("text") == "varchar"
    assert duckdb_type("character varying(20)") == "varchar"
    assert duckdb_type("bigint") == "bigint"
    assert duckdb_type("double precision") == "double"
    assert duckdb_type("numeric") == "double"  # unbounded numeric: double, as on DuckDB
    assert duckdb_type("numeric(18,8)") == "decimal(18,8)"
    assert duckdb_type("numeric(60,2)") == "double"  # beyond DuckDB's 38 digits
    assert duckdb_type("timestamp with time zone") == "timestamptz"
    assert duckdb_type("boolean") == "boolean"
    assert duckdb_type("interval") == "varchar"  # unknown types arrive as their text


def test_reader_always_sees_one_complete_version(tmp_path):
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    make_warehouse(wh, 1000)
    publish(wh, serving, "first", now=T0)
    queue: mp.Queue = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(
        target=reader_loop, args=(str(serving / CURRENT / DATABASE_FILE), time.monotonic() + 8, queue)
    )
    proc.start()
    for day in range(1, 6):
        make_warehouse(wh, 1000 + day * 137)
        publish(wh, serving, f"run-{day}", keep=2, now=T0 + timedelta(days=day))
    reads, errors, versions = queue.get(timeout=60)
    proc.join(timeout=30)
    assert errors == []
    assert reads > 5 and versions  # every read saw one complete version


def test_cli_publish_and_rollback(tmp_path, monkeypatch, capsys):
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    monkeypatch.setenv("CSKPI_DUCKDB_PATH", str(wh))
    monkeypatch.setenv("CSKPI_SERVING_DIR", str(serving))
    assert main(["publish"]) == 1
    assert "build it first" in capsys.readouterr().err
    make_warehouse(wh, 5)
    assert main(["publish", "--run-id", "a"]) == 0
    assert main(["rollback"]) == 1
    make_warehouse(wh, 6)
    assert main(["publish", "--run-id", "b"]) == 0
    assert main(["rollback"]) == 0
    assert read_current(serving)["kpi_metrics"] == 5


def serving_storage_version(serving: Path) -> str:
    con = duckdb.connect()
    try:
        con.execute(f"attach '{serving / CURRENT / DATABASE_FILE}' as s (read_only)")
        sql = "select tags['storage_version'] from duckdb_databases() where database_name = 's'"
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_serving_file_uses_the_configured_storage_version(tmp_path, monkeypatch):
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    make_warehouse(wh, 10)
    monkeypatch.delenv(STORAGE_VERSION_ENV, raising=False)
    publish(wh, serving, "default", now=T0)
    assert serving_storage_version(serving) == f"{DEFAULT_STORAGE_VERSION}+"
    monkeypatch.setenv(STORAGE_VERSION_ENV, "v1.4.0")
    publish(wh, serving, "v14", now=T0 + timedelta(days=1))
    assert serving_storage_version(serving) == "v1.4.0+"
    assert read_current(serving) == {"kpi_metrics": 10, "fct_calls": 20, "dim_markets": 1}


def test_unknown_storage_version_fails_and_keeps_current(tmp_path, monkeypatch, capsys):
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    make_warehouse(wh, 10)
    good = publish(wh, serving, "good", now=T0)
    monkeypatch.setenv(STORAGE_VERSION_ENV, "v9.9")
    with pytest.raises(ValueError, match=f"{STORAGE_VERSION_ENV}='v9.9'.*not a known DuckDB version"):
        publish(wh, serving, "bad", now=T0 + timedelta(days=1))
    assert current_version(serving) == good.version_id
    monkeypatch.setenv("CSKPI_DUCKDB_PATH", str(wh))
    monkeypatch.setenv("CSKPI_SERVING_DIR", str(serving))
    assert main(["publish"]) == 1
    assert STORAGE_VERSION_ENV in capsys.readouterr().err


def test_cli_publish_keeps_the_configured_number_of_versions(tmp_path, monkeypatch):
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    monkeypatch.setenv("CSKPI_DUCKDB_PATH", str(wh))
    monkeypatch.setenv("CSKPI_SERVING_DIR", str(serving))
    monkeypatch.setenv("CSKPI_SERVING_KEEP", "2")
    make_warehouse(wh, 5)
    for n in range(3):
        assert main(["publish", "--run-id", f"r{n}"]) == 0
    assert len(list_versions(serving)) == 2
    assert main(["publish", "--run-id", "r3", "--keep", "1"]) == 0
    assert len(list_versions(serving)) == 1


def test_versions_of_one_second_keep_publish_order(tmp_path):
    """Ids of the same second get a counter; pruning and rollback follow publish order (-10 after -9)."""
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    ids = []
    for n in range(12):
        make_warehouse(wh, 10 + n)
        ids.append(publish(wh, serving, f"run-{n}", keep=3, now=T0).version_id)
    assert len(set(ids)) == 12
    assert list_versions(serving) == ids[-3:]
    assert current_version(serving) == ids[-1]
    assert rollback(serving) == ids[-2]
    assert read_current(serving)["kpi_metrics"] == 20
