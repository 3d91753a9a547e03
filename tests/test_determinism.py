"""Identical input gives identical marts: a build from the same landing with every file's rows
shuffled, the files of a table in reverse order and four dbt threads has the same checksum, table
by table, as the reference build (two threads, files as generated). Float sums would depend on the
order rows arrive in; the money amounts are exact decimals (macros/cross_db/calendar.sql type_money)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from fixtures.warehouse import Warehouses, duckdb_env

from cskpi.publish import RUN_LOG_TABLES, is_published, table_checksum

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _shuffled_copy(src: Path, dest: Path) -> None:
    """The landing folder with each Parquet file's rows in a random order and each table's files swapped."""
    shutil.copytree(src, dest)
    con = duckdb.connect()
    con.execute("select setseed(0.42)")
    for folder in sorted({p.parent for p in dest.rglob("*.parquet")}):
        files = sorted(folder.glob("*.parquet"))
        for f in files:
            con.execute(f"copy (select * from read_parquet('{f}') order by random()) to '{f}.tmp' (format parquet)")
        for f, other in zip(files, reversed(files), strict=True):
            os.replace(f"{other}.tmp", f"{f}.new")
        for f in files:
            os.replace(f"{f}.new", f)


def _checksums(db: Path) -> dict[str, tuple[int, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()]
        return {n: table_checksum(con, n) for n in sorted(names) if is_published(n) and n not in RUN_LOG_TABLES}
    finally:
        con.close()


def test_shuffled_input_and_more_threads_give_identical_marts(warehouse: Warehouses, tmp_path: Path) -> None:
    reference = warehouse("small_clean")
    raw = tmp_path / "raw"
    _shuffled_copy(reference.raw, raw)
    db = tmp_path / "warehouse.duckdb"
    env = {**duckdb_env(raw, db), "CSKPI_THREADS": "4"}
    result = subprocess.run(
        [str(BIN / "dbt"), "build", "--resource-type", "seed", "--resource-type", "model",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:]
    expected, actual = _checksums(reference.db), _checksums(db)
    assert {"kpi_metrics", "kpi_monthly", "fct_operating_costs", "fct_orders"} <= set(expected)
    assert [n for n in expected if actual.get(n) != expected[n]] == []
