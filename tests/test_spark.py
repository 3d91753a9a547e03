"""The Spark target end to end, in one local Spark JVM (dbt-spark's ``session`` method).

One session: generate a tiny data set; then one worker process (this file run as a script)
does ``cskpi load --target spark`` and ``dbt build`` (seeds, every model, data and unit tests)
in process, so the loader and dbt share one SparkSession (JVM start-up is paid once) and one
embedded Derby metastore. Spark state (warehouse, metastore_db, derby.log) lives in a temp
dir, never in the repository. Meanwhile the same data builds on DuckDB (seeds and models up to
kpi_metrics); then kpi_metrics is compared row by row.

Needs pyspark (pip install 'dbt-spark[session]' pyspark) and Java 17. Without them the tests
are skipped locally and fail on CI (env CI set).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from fixtures.builds import (
    AGENT_HASHES,
    DUCKDB_REFERENCE,
    SERVER_SALT,
    Build,
    finish_build,
    start_build,
    target_env,
)
from fixtures.compare import assert_server_matches_duckdb, keyed
from fixtures.landing import REFERENCE_SAMPLE, write_reference

pytestmark = pytest.mark.spark

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GENERATE_ARGS = ["--start", "2024-02-15", "--days", "45", "--scale", "0.05", "--markets", "RO,PL", "--dirt", "0.01"]
SCHEMA = "analytics"
STEP_TIMEOUT = 1200  # seconds for the Spark worker (load + build); the machine may be busy


def _missing_requirement() -> str | None:
    """Why the Spark target cannot run here, or None."""
    for module, hint in (("pyspark", "pyspark"), ("dbt.adapters.spark", "dbt-spark[session]")):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return f"{module} is not installed (pip install '{hint}')"
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and (Path(java_home) / "bin" / "java").exists()) and shutil.which("java") is None:
        return "Java not found (set JAVA_HOME or put java 17 on PATH)"
    return None


@pytest.fixture(scope="session")
def spark_available() -> None:
    reason = _missing_requirement()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)


# ---------------------------------------------------------------------------- worker (own process)


def _worker(work_dir: Path, raw_dir: Path) -> int:
    """Load + dbt build on Spark in this process; writes timings, raw counts and kpi_metrics to work_dir."""
    from dbt.cli.main import dbtRunner

    from cskpi.cli import main as cskpi_main
    from cskpi.contract import TABLES
    from cskpi.loaders.spark import get_session

    timings: dict[str, float] = {}
    started = time.monotonic()
    rc = cskpi_main(["load", "--target", "spark", "--raw-dir", str(raw_dir)])
    timings["load"] = time.monotonic() - started
    spark = get_session()
    counts = {t.path: spark.table(f"raw_{t.system}.{t.name}").count() for t in TABLES} if rc == 0 else {}
    (work_dir / "raw_counts.json").write_text(json.dumps(counts))
    if rc != 0:
        return rc

    started = time.monotonic()
    args = ["build", "--project-dir", str(PROJECT), "--target-path", str(work_dir / "target_spark")]
    result = dbtRunner().invoke([*args, "--log-path", str(work_dir / "logs_spark")])
    timings["build"] = time.monotonic() - started
    (work_dir / "timings.json").write_text(json.dumps(timings))
    if result.exception is not None:
        print(f"dbt build raised: {result.exception!r}", file=sys.stderr)
    # kpi_metrics and the hashed agents as parquet folders, read by the tests with DuckDB (no second JVM).
    for table, columns in (("kpi_metrics", ["*"]), ("stg_workforce__agents", list(AGENT_HASHES))):
        if spark.catalog.tableExists(f"{SCHEMA}.{table}"):
            spark.table(f"{SCHEMA}.{table}").select(*columns).coalesce(1).write.mode("overwrite").parquet(
                str(work_dir / f"{table}_spark")
            )
    return 0 if result.success else 1


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def work_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="cskpi-sparktest-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def raw_dir(spark_available: None, work_dir: Path) -> Path:
    out = work_dir / "raw"
    gen = subprocess.run(
        [str(BIN / "cskpi"), "generate", "--out", str(out), *GENERATE_ARGS],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert gen.returncode == 0, f"cskpi generate failed:\n{gen.stdout}\n{gen.stderr}"
    return write_reference(out, REFERENCE_SAMPLE)


@dataclass
class Builds:
    spark: Build
    duckdb: Build
    duckdb_path: Path
    timings: dict[str, float]
    raw_counts: dict[str, int]


@pytest.fixture(scope="session")
def builds(work_dir: Path, raw_dir: Path) -> Builds:
    duck_path = work_dir / "warehouse.duckdb"
    started = time.monotonic()
    # a custom PII salt (not the demo's): the hashes must still equal DuckDB's
    spark_env = target_env(
        raw_dir, CSKPI_TARGET="spark", CSKPI_SPARK_DIR=str(work_dir / "spark"), CSKPI_PII_SALT=SERVER_SALT
    )
    with (work_dir / "spark.out").open("w") as out:
        spark = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(work_dir), str(raw_dir)],
            env=spark_env,
            cwd=work_dir,  # anything Spark might still drop in the working directory stays out of the repo
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    duck_env = target_env(
        raw_dir, CSKPI_TARGET="duckdb", CSKPI_DUCKDB_PATH=str(duck_path), CSKPI_THREADS="2", CSKPI_PII_SALT=SERVER_SALT
    )
    duck = start_build(work_dir, "duckdb", duck_env, *DUCKDB_REFERENCE)
    duck_build = finish_build(work_dir, "duckdb", duck, started, STEP_TIMEOUT)
    spark_build = finish_build(work_dir, "spark", spark, started, STEP_TIMEOUT)
    timings_file, counts_file = work_dir / "timings.json", work_dir / "raw_counts.json"
    timings = json.loads(timings_file.read_text()) if timings_file.exists() else {}
    counts = json.loads(counts_file.read_text()) if counts_file.exists() else {}
    timings["wall"] = spark_build.seconds
    print(f"\nspark e2e timings (s): {json.dumps({k: round(v, 1) for k, v in timings.items()})}", file=sys.stderr)
    return Builds(spark_build, duck_build, duck_path, timings, counts)


# ---------------------------------------------------------------------------- tests


def test_spark_load_registers_every_raw_table(builds: Builds, raw_dir: Path):
    from cskpi.contract import TABLES

    assert builds.raw_counts, "cskpi load --target spark failed:\n" + builds.spark.log[-4000:]
    con = duckdb.connect()
    for t in TABLES:
        landed = con.execute(
            f"select count(*) from read_parquet('{raw_dir}/{t.path}/*.parquet', union_by_name = true)"
        ).fetchone()[0]
        assert builds.raw_counts[t.path] == landed, f"{t.path}: {landed} landing rows, {builds.raw_counts[t.path]}"
        assert f"raw_{t.system}.{t.name}" in builds.spark.log, "progress output names every table"


def test_dbt_build_passes_on_spark(builds: Builds):
    build = builds.spark
    assert build.returncode == 0 and not build.failures(), (
        f"dbt on Spark failed ({build.seconds:.0f}s):\n"
        + "\n".join(build.failures())
        + "\n--- log tail ---\n"
        + build.log[-4000:]
    )
    kinds = {r["unique_id"].split(".")[0] for r in build.run_results}
    assert {"seed", "model", "test"} <= kinds


def test_reference_tables_reach_spark(builds: Builds, work_dir: Path):
    # reference/markets and kpi_targets are landed, fx_rates is not (absent: the shipped rates alone)
    assert "raw_reference.markets" in builds.spark.log and "raw_reference.fx_rates" not in builds.spark.log
    exported = work_dir / "kpi_metrics_spark"
    assert exported.is_dir(), "kpi_metrics was not built on Spark; see test_dbt_build_passes_on_spark"
    targets = duckdb.connect().execute(
        f"select distinct cast(target as double) from read_parquet('{exported}/*.parquet')"
        " where market_code = 'RO' and kpi_code = 'service_level'"
    ).fetchall()
    assert targets == [(95.0,)]  # the landed override of the shipped target


def test_spark_state_stays_out_of_the_repository(builds: Builds, work_dir: Path):
    assert (work_dir / "spark" / "metastore_db").is_dir(), "the Derby metastore is not under CSKPI_SPARK_DIR"
    assert (work_dir / "spark" / "warehouse").is_dir(), "the warehouse is not under CSKPI_SPARK_DIR"
    for stray in ("metastore_db", "spark-warehouse", "derby.log"):
        assert not (PROJECT / stray).exists(), f"{stray} was created in the repository"


def test_kpi_metrics_match_duckdb(builds: Builds, work_dir: Path):
    assert builds.duckdb.returncode == 0, "dbt on DuckDB failed:\n" + builds.duckdb.log[-4000:]
    exported = work_dir / "kpi_metrics_spark"
    assert exported.is_dir(), "kpi_metrics was not built on Spark; see test_dbt_build_passes_on_spark"
    con = duckdb.connect()
    cursor = con.execute(f"select * from read_parquet('{exported}/*.parquet')")
    spark_cols = [d[0] for d in cursor.description]
    spark = keyed(spark_cols, cursor.fetchall())
    con.close()
    assert_server_matches_duckdb(builds.duckdb_path, spark_cols, spark, "spark")


def test_pii_hashes_match_duckdb_and_the_salt_stays_out_of_target(builds: Builds, work_dir: Path):
    assert builds.duckdb.returncode == 0, "dbt on DuckDB failed:\n" + builds.duckdb.log[-4000:]
    exported = work_dir / "stg_workforce__agents_spark"
    assert exported.is_dir(), "stg_workforce__agents was not built on Spark; see test_dbt_build_passes_on_spark"
    query = f"select {', '.join(AGENT_HASHES)} from "
    spark = sorted(duckdb.connect().execute(query + f"read_parquet('{exported}/*.parquet')").fetchall())
    con = duckdb.connect(str(builds.duckdb_path), read_only=True)
    duck = sorted(con.execute(query + "stg_workforce__agents").fetchall())
    con.close()
    assert spark and spark == duck
    files = [p for name in ("target_spark", "logs_spark") for p in (work_dir / name).rglob("*") if p.is_file()]
    assert files and [str(p) for p in files if SERVER_SALT.encode() in p.read_bytes()] == []


if __name__ == "__main__":  # the Spark worker: python tests/test_spark.py WORK_DIR RAW_DIR
    sys.exit(_worker(Path(sys.argv[1]), Path(sys.argv[2])))
