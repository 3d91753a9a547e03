"""Atomic publish, versions, rollback and readers during a refresh."""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
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


def _publisher(wh: str, serving: str, runs: int, start: mp.Event, done: mp.Queue) -> None:
    """A publishing process (the CLI, the Dagster asset): publishes ``runs`` times as soon as ``start`` is set."""
    start.wait(30)
    done.put([publish(Path(wh), Path(serving), f"pid-{n}", keep=10).version_id for n in range(runs)])


def test_concurrent_publishes_queue_up_and_keep_current_complete(tmp_path):
    """Two publishers at once (same second): one waits for the other; every version complete and distinct."""
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    make_warehouse(wh, 5000)
    publish(wh, serving, "first", now=T0)
    ctx = mp.get_context("spawn")
    start, done, reads = ctx.Event(), ctx.Queue(), ctx.Queue()
    stop_file = tmp_path / "stop"
    reader = ctx.Process(
        target=reader_loop, args=(str(serving / CURRENT / DATABASE_FILE), time.monotonic() + 120, reads, str(stop_file))
    )
    publishers = [ctx.Process(target=_publisher, args=(str(wh), str(serving), 3, start, done)) for _ in range(2)]
    for proc in (reader, *publishers):
        proc.start()
    start.set()
    ids = done.get(timeout=120) + done.get(timeout=120)
    stop_file.touch()
    n_reads, errors, _ = reads.get(timeout=60)
    for proc in (reader, *publishers):
        proc.join(timeout=30)
        assert proc.exitcode == 0
    assert errors == [] and n_reads > 0
    assert len(set(ids)) == 6
    assert set(ids) <= set(list_versions(serving))
    for vid in ids:  # no publish removed another's work
        con = duckdb.connect(str(serving / "versions" / vid / DATABASE_FILE), read_only=True)
        names = {r[0] for r in con.execute("select table_name from serving_tables").fetchall()}
        assert names == {"kpi_metrics", "fct_calls", "dim_markets"}
        con.close()
    assert not [p for p in (serving / "versions").iterdir() if p.name.endswith(".partial")]


def test_a_killed_publish_leaves_no_partial_behind_the_next_one(tmp_path):
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    make_warehouse(wh, 10)
    publish(wh, serving, "first", now=T0)
    leftover = serving / "versions" / ".20250101T020000Z-9.partial"
    (leftover / "parquet").mkdir(parents=True)
    (leftover / "parquet" / "big.parquet").write_bytes(b"x" * 1024)
    leftover.chmod(0o555)
    publish(wh, serving, "second", now=T0 + timedelta(days=1))
    assert not leftover.exists()


def test_published_files_are_read_only(tmp_path):
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    make_warehouse(wh, 10)
    version = publish(wh, serving, "first", now=T0)
    modes = {p.relative_to(version.path).as_posix(): p.stat().st_mode & 0o777 for p in version.path.rglob("*")}
    assert modes[DATABASE_FILE] == 0o444 and modes["version.json"] == 0o444
    assert modes["parquet"] == 0o555 and modes["parquet/fct_calls.parquet"] == 0o444
    assert {m for m in modes.values()} == {0o444, 0o555}
    assert version.path.stat().st_mode & 0o777 == 0o555
    # pruning and rollback still work on read-only versions
    for day in range(1, 4):
        publish(wh, serving, f"run-{day}", keep=2, now=T0 + timedelta(days=day))
    assert len(list_versions(serving)) == 2 and rollback(serving)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as another account")
def test_a_client_without_read_only_cannot_open_serving_for_writing(tmp_path):
    """A client of the publishing account (not root, which ignores modes): read-only opens work, a writable
    open is refused, so a forgotten ``read_only`` cannot change or lock live serving."""
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    make_warehouse(wh, 10)
    publish(wh, serving, "first", now=T0)
    for path in (serving, *serving.rglob("*")):  # as if account 65534 had published: only the modes protect
        os.chown(path, 65534, 65534, follow_symlinks=False)
    tmp_path.chmod(0o755)
    for parent in tmp_path.parents:  # let the other account reach the folder
        parent.chmod(parent.stat().st_mode | 0o005)
    db = serving / CURRENT / DATABASE_FILE
    # duckdb is imported as root (the venv's interpreter lives under /root), then the account is dropped.
    client = (
        "import duckdb, os, sys\n"
        "os.setgid(65534)\n"
        "os.setuid(65534)\n"
        "ro = duckdb.connect(sys.argv[1], read_only=True).execute('select count(*) from kpi_metrics').fetchone()[0]\n"
        "try:\n"
        "    duckdb.connect(sys.argv[1]).execute('update kpi_metrics set value = 0')\n"
        "    print(ro, 'WRITABLE')\n"
        "except duckdb.Error as exc:\n"
        "    print(ro, 'refused', type(exc).__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", client, str(db)], capture_output=True, text=True, check=True, cwd="/"
    ).stdout
    assert out.startswith("10 refused"), out
    assert read_current(serving)["kpi_metrics"] == 10


def test_cli_publish_during_a_run_exits_3_with_one_line(tmp_path, monkeypatch, capsys):
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    make_warehouse(wh, 5)
    monkeypatch.setenv("CSKPI_DUCKDB_PATH", str(wh))
    monkeypatch.setenv("CSKPI_SERVING_DIR", str(serving))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WAREHOUSE, str(wh)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["publish"]) == 3
        err = capsys.readouterr().err
        assert "another run holds the warehouse lock" in err and f"pid {holder.pid}" in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()
    assert main(["publish"]) == 0


def test_a_publish_waits_for_the_serving_lock_then_gives_up_with_a_message(tmp_path, monkeypatch, capsys):
    from cskpi.lock import publish_lock

    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    make_warehouse(wh, 5)
    monkeypatch.setenv("CSKPI_DUCKDB_PATH", str(wh))
    monkeypatch.setenv("CSKPI_SERVING_DIR", str(serving))
    monkeypatch.setenv("CSKPI_PUBLISH_WAIT_SECONDS", "0.3")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_SERVING, str(serving)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["publish"]) == 3
        assert "another publish holds the serving lock" in capsys.readouterr().err
        assert main(["rollback"]) == 3
    finally:
        holder.kill()
        holder.wait()
    with publish_lock(serving, 0):  # released when the holder died
        pass
    assert main(["publish"]) == 0


HOLD_WAREHOUSE = (
    "import sys, time\nfrom pathlib import Path\nfrom cskpi.lock import WarehouseLock\n"
    "with WarehouseLock(Path(sys.argv[1]), purpose='nightly run'):\n    print('held', flush=True)\n    time.sleep(60)\n"
)
HOLD_SERVING = (
    "import sys, time\nfrom pathlib import Path\nfrom cskpi.lock import publish_lock\n"
    "with publish_lock(Path(sys.argv[1]), 0):\n    print('held', flush=True)\n    time.sleep(60)\n"
)
