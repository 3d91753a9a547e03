"""Register the landing files as Spark tables: one table per raw table in database ``raw_<system>``.

``cskpi load --target spark`` reads ``<raw_dir>/<system>/<table>/*.parquet`` (or ``*.csv``) with
Spark itself, casts every contract column to its contract type (extra columns are dropped)
and writes the result as a parquet table ``raw_<system>.<table>``: ``CREATE TABLE ... USING
parquet AS SELECT`` the first time (or when the table drifted from the contract), ``INSERT
OVERWRITE`` afterwards, so a rerun on the same landing files gives the same tables. Plain
parquet, no Delta Lake: nothing is fetched from Maven at run time.

The Spark session is configured from the same ``CSKPI_SPARK_*`` variables as the ``spark``
output of profiles.yml (see :func:`spark_conf`), so the loader and ``dbt`` share one
warehouse directory and one metastore. Locally that is an embedded Derby metastore, which
only one JVM can open at a time: run ``cskpi load`` and ``dbt`` one after the other (or in one
Python process, as tests/test_spark.py does, where both use the same session).
On a cluster, point ``CSKPI_SPARK_MASTER`` at it and ``CSKPI_RAW_DIR`` at the landing folder as
the driver sees it (shared disk, NFS, a /dbfs FUSE mount); landing files that only live in an
object store are registered with ``CREATE TABLE ... USING parquet LOCATION '<uri>'`` instead.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from cskpi import paths
from cskpi.contract import TABLES, Table
from cskpi.loaders.landing import LandingError, LandingTable, csv_scan_sql, find_loadable_tables
from cskpi.pii import DEMO_SALT, SALT_ENV

if TYPE_CHECKING:  # pyspark is optional (extra "spark")
    from pyspark.sql import DataFrame, SparkSession

# Contract type -> Spark SQL type.
SPARK_TYPES: dict[str, str] = {
    "varchar": "string",
    "integer": "int",
    "double": "double",
    "boolean": "boolean",
    "timestamp": "timestamp",
    "date": "date",
}


def spark_dir(env: Mapping[str, str] | None = None) -> Path:
    """Local Spark state (warehouse + Derby metastore); profiles.yml uses the same default."""
    env = os.environ if env is None else env
    default = Path(env.get("CSKPI_PROJECT_DIR", paths.project_dir())) / "data" / "spark"
    return Path(env.get("CSKPI_SPARK_DIR", default))


def spark_conf(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Session configuration, identical to ``server_side_parameters`` of the ``spark`` profile output."""
    env = os.environ if env is None else env
    state = spark_dir(env).resolve()
    metastore = state / "metastore_db"
    return {
        "spark.master": env.get("CSKPI_SPARK_MASTER", "local[2]"),
        "spark.driver.memory": env.get("CSKPI_SPARK_DRIVER_MEMORY", "2g"),
        "spark.sql.shuffle.partitions": env.get("CSKPI_SPARK_SHUFFLE_PARTITIONS", "4"),
        "spark.sql.warehouse.dir": env.get("CSKPI_SPARK_WAREHOUSE_DIR", str(state / "warehouse")),
        "spark.sql.session.timeZone": "UTC",
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={metastore};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={state} -Duser.timezone=UTC",
        "spark.ui.enabled": "false",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        # read by hash_pii as ${spark.cskpi.pii_salt} (cskpi/pii.py)
        "spark.cskpi.pii_salt": env.get(SALT_ENV) or DEMO_SALT,
    }


def get_session(env: Mapping[str, str] | None = None) -> SparkSession:
    """The (possibly already running) Spark session, with Hive support like dbt-spark's session method."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise LandingError("the spark target needs pyspark: pip install 'dbt-spark[session]' pyspark") from exc
    conf = spark_conf(env)
    spark_dir(env).mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.appName("cskpi").enableHiveSupport()
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel((os.environ if env is None else env).get("CSKPI_SPARK_LOG_LEVEL", "ERROR"))
    return session


@dataclass(frozen=True)
class LoadResult:
    table: str  # database.table
    rows: int
    files: int
    seconds: float


def raw_database(table: Table) -> str:
    return f"raw_{table.system}"


def _read(spark: SparkSession, landing: LandingTable) -> DataFrame:
    files = [str(p.resolve()) for p in landing.files]
    if landing.file_format == "parquet":
        return spark.read.option("mergeSchema", "true").parquet(*files)
    # CSV: every column as text; the contract cast below decides (like the dbt sources do).
    return spark.read.option("header", "true").option("inferSchema", "false").csv(files)


def _typed(spark: SparkSession, landing: LandingTable) -> DataFrame:
    from pyspark.sql.utils import AnalysisException

    if landing.file_format == "csv":
        # Spark's CSV reader nulls out what it cannot parse: check the files first (LandingError)
        with duckdb.connect() as con:
            csv_scan_sql(con, landing)
    try:
        df = _read(spark, landing)
    except AnalysisException as exc:
        raise LandingError(f"{landing.label}: cannot read landing files in {landing.files[0].parent}: {exc}") from exc
    present = {name.lower(): name for name in df.columns}
    missing = [c.name for c in landing.table.columns if c.name.lower() not in present]
    if missing:
        raise LandingError(
            f"{landing.label}: landing files lack required column(s) {', '.join(missing)} ({landing.files[0].parent})"
        )
    return df.selectExpr(
        *(f"cast(`{present[c.name.lower()]}` as {SPARK_TYPES[c.type]}) as `{c.name}`" for c in landing.table.columns)
    )


def _same_parquet_table(spark: SparkSession, name: str, df: DataFrame) -> bool:
    """True when ``name`` exists as a parquet table with exactly the columns and types of ``df``."""
    if not spark.catalog.tableExists(name):
        return False
    provider = [r for r in spark.sql(f"describe table extended {name}").collect() if r[0] == "Provider"]
    if not provider or str(provider[0][1]).lower() != "parquet":
        return False
    existing = [(f.name.lower(), f.dataType.simpleString()) for f in spark.table(name).schema.fields]
    wanted = [(f.name.lower(), f.dataType.simpleString()) for f in df.schema.fields]
    return existing == wanted


def load_table(spark: SparkSession, landing: LandingTable) -> LoadResult:
    """Replace ``raw_<system>.<table>`` with the typed landing rows; returns the row count."""
    started = time.monotonic()
    table = landing.table
    database = raw_database(table)
    name = f"{database}.{table.name}"
    spark.sql(f"create database if not exists {database}")
    df = _typed(spark, landing)
    view = f"cskpi_landing_{table.system}_{table.name}"
    df.createOrReplaceTempView(view)
    try:
        if _same_parquet_table(spark, name, df):
            # Same columns and types: overwrite the data in place (the table never disappears).
            spark.sql(f"insert overwrite table {name} select * from {view}")
        else:  # absent, or drifted from the contract: (re)create it
            spark.sql(f"drop table if exists {name}")
            spark.sql(f"create table {name} using parquet as select * from {view}")
    finally:
        spark.catalog.dropTempView(view)
    rows = spark.table(name).count()
    return LoadResult(name, rows, len(landing.files), time.monotonic() - started)


def load_spark(
    raw_dir: Path,
    tables: tuple[Table, ...] = TABLES,
    progress: Callable[[LoadResult], None] | None = None,
    spark: SparkSession | None = None,
) -> list[LoadResult]:
    """Load every raw table of ``tables`` from ``raw_dir``; all landing tables are checked first."""
    landings = find_loadable_tables(raw_dir, tables)
    spark = spark or get_session()
    results: list[LoadResult] = []
    for landing in landings:
        result = load_table(spark, landing)
        results.append(result)
        if progress is not None:
            progress(result)
    return results
