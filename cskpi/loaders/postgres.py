"""Load the landing files into PostgreSQL: one table per raw table in schema ``raw_<system>``.

Each table is replaced atomically in its own transaction (create if absent, truncate, COPY,
commit), so a rerun on the same landing files gives the same tables and readers never see
a half-loaded table. Rows stream from DuckDB as Arrow batches into ``COPY ... FROM STDIN``
in CSV format (nulls unquoted-empty, empty strings quoted).
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg2
import pyarrow.csv as pacsv
from psycopg2 import sql
from psycopg2.extensions import connection as PgConnection
from psycopg2.extensions import cursor as PgCursor

from cskpi.contract import TABLES, Table
from cskpi.loaders.landing import LandingError, LandingTable, find_loadable_tables, read_batches

# Contract type -> PostgreSQL type, spelled as format_type() returns it (to detect drifted tables).
PG_TYPES: dict[str, str] = {
    "varchar": "text",
    "integer": "integer",
    "double": "double precision",
    "boolean": "boolean",
    "timestamp": "timestamp without time zone",
    "date": "date",
}

_CSV_OPTIONS = pacsv.WriteOptions(include_header=False)


@dataclass(frozen=True)
class PgSettings:
    """Connection settings, from the same CSKPI_PG_* variables as profiles.yml."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "cskpi"
    password: str = ""
    dbname: str = "cskpi"
    schema: str = "analytics"  # where dbt builds the models (the marts publish reads)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PgSettings:
        env = os.environ if env is None else env
        port = env.get("CSKPI_PG_PORT", "5432")
        if not port.isdigit():
            raise LandingError(f"CSKPI_PG_PORT must be a port number, got {port!r}")
        return cls(
            host=env.get("CSKPI_PG_HOST", "127.0.0.1"),
            port=int(port),
            user=env.get("CSKPI_PG_USER", "cskpi"),
            password=env.get("CSKPI_PG_PASSWORD", ""),
            dbname=env.get("CSKPI_PG_DATABASE", "cskpi"),
            schema=env.get("CSKPI_PG_SCHEMA", "analytics"),
        )

    def describe(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"


@dataclass(frozen=True)
class LoadResult:
    table: str  # schema.table
    rows: int
    files: int
    seconds: float


def raw_schema(table: Table) -> str:
    return f"raw_{table.system}"


def _create_table_sql(table: Table) -> sql.Composed:
    cols = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(PG_TYPES[c.type])) for c in table.columns
    )
    return sql.SQL("create table {}.{} ({})").format(
        sql.Identifier(raw_schema(table)), sql.Identifier(table.name), cols
    )


def _existing_columns(cur: PgCursor, table: Table) -> list[tuple[str, str]] | None:
    cur.execute(
        """
        select a.attname, format_type(a.atttypid, a.atttypmod)
        from pg_attribute as a
        join pg_class as c on c.oid = a.attrelid
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p')
          and a.attnum > 0 and not a.attisdropped
        order by a.attnum
        """,
        (raw_schema(table), table.name),
    )
    rows = cur.fetchall()
    return [(r[0], r[1]) for r in rows] if rows else None


def _prepare_table(cur: PgCursor, table: Table) -> str:
    """Create the raw table if absent (or recreate it if its columns drifted); else truncate it."""
    schema, ident = sql.Identifier(raw_schema(table)), sql.Identifier(table.name)
    cur.execute(sql.SQL("create schema if not exists {}").format(schema))
    wanted = [(c.name, PG_TYPES[c.type]) for c in table.columns]
    existing = _existing_columns(cur, table)
    if existing is None:
        cur.execute(_create_table_sql(table))
        return "created"
    if existing != wanted:
        cur.execute(sql.SQL("drop table {}.{}").format(schema, ident))
        cur.execute(_create_table_sql(table))
        return "recreated"
    cur.execute(sql.SQL("truncate table {}.{}").format(schema, ident))
    return "replaced"


def load_table(conn: PgConnection, duck: duckdb.DuckDBPyConnection, landing: LandingTable) -> LoadResult:
    """Replace one raw table in its own transaction; returns the row count."""
    started = time.monotonic()
    table = landing.table
    copy = sql.SQL("copy {}.{} ({}) from stdin with (format csv)").format(
        sql.Identifier(raw_schema(table)),
        sql.Identifier(table.name),
        sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns),
    )
    rows = 0
    # psycopg2: leaving `with conn` commits on success and rolls back on error.
    with conn, conn.cursor() as cur:
        _prepare_table(cur, table)
        copy_sql = copy.as_string(cur)
        for batch in read_batches(duck, landing):
            if batch.num_rows == 0:
                continue
            buf = io.BytesIO()
            pacsv.write_csv(batch, buf, _CSV_OPTIONS)
            buf.seek(0)
            cur.copy_expert(copy_sql, buf)
            rows += batch.num_rows
    return LoadResult(f"{raw_schema(table)}.{table.name}", rows, len(landing.files), time.monotonic() - started)


def connect(settings: PgSettings, application_name: str = "cskpi load") -> PgConnection:
    try:
        return psycopg2.connect(
            host=settings.host,
            port=settings.port,
            user=settings.user,
            password=settings.password or None,
            dbname=settings.dbname,
            application_name=application_name,
        )
    except psycopg2.OperationalError as exc:
        raise LandingError(f"cannot connect to PostgreSQL at {settings.describe()}: {exc}".rstrip()) from exc


def load_postgres(
    raw_dir: Path,
    settings: PgSettings | None = None,
    tables: tuple[Table, ...] = TABLES,
    progress: Callable[[LoadResult], None] | None = None,
) -> list[LoadResult]:
    """Load every raw table of ``tables`` from ``raw_dir``; all landing tables are checked first."""
    settings = settings or PgSettings.from_env()
    landings = find_loadable_tables(raw_dir, tables)
    conn = connect(settings)
    duck = duckdb.connect()
    # Time-zone-aware landing timestamps become UTC wall time (docs/contract.md), whatever the machine's zone.
    duck.execute("set TimeZone = 'UTC'")
    results: list[LoadResult] = []
    try:
        for landing in landings:
            try:
                result = load_table(conn, duck, landing)
            except psycopg2.Error as exc:
                detail = (exc.pgerror or str(exc)).strip()
                raise LandingError(f"{landing.label}: loading into PostgreSQL failed: {detail}") from exc
            results.append(result)
            if progress is not None:
                progress(result)
    finally:
        duck.close()
        conn.close()
    return results
