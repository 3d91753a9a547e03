"""The dbt target a command works on (``CSKPI_TARGET``, as profiles.yml reads it) and how to name
its warehouse to a user."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cskpi import paths

DUCKDB, POSTGRES, SPARK = "duckdb", "postgres", "spark"
TARGETS: tuple[str, ...] = (DUCKDB, POSTGRES, SPARK)
DEFAULT_TARGET = DUCKDB


def dbt_target(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("CSKPI_TARGET", "").strip() or DEFAULT_TARGET


def describe_warehouse(target: str | None = None, duckdb_path: Path | None = None) -> str:
    """The warehouse the target builds, as run summaries print it: the DuckDB file, else the server."""
    target = target or dbt_target()
    # Loaders imported on use: they pull in psycopg2 and pyarrow, which DuckDB users never need.
    if target == POSTGRES:
        from cskpi.loaders.postgres import PgSettings

        settings = PgSettings.from_env()
        return f"PostgreSQL {settings.describe()} (schema {settings.schema})"
    if target == SPARK:
        from cskpi.loaders.spark import spark_conf

        conf = spark_conf()
        schema = os.environ.get("CSKPI_SPARK_SCHEMA", "analytics")
        return f"Spark {conf['spark.master']} (database {schema}, warehouse {conf['spark.sql.warehouse.dir']})"
    return str(duckdb_path or paths.warehouse_path())
