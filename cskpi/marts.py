"""Where publish reads the marts: the warehouse that the configured dbt target built.

- DuckDB: the warehouse file, attached read-only.
- PostgreSQL: the dbt schema, read in one REPEATABLE READ, read-only transaction, so every table
  comes from the same committed state. The tables are locked (ACCESS SHARE) before the snapshot
  is taken: a dbt build that commits meanwhile cannot swap a table under the copy (dbt replaces
  a table by renaming, which a snapshot alone does not hide), it waits until publish is done.
- Spark: publish is disabled (:class:`PublishDisabled`). Its parquet tables are dropped and
  rewritten in place with no snapshot isolation, so a copy could mix two builds; BI tools read
  the Spark database directly (README, "Spark target").
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import duckdb

from cskpi import paths, targets
from cskpi.lock import WarehouseLock

if TYPE_CHECKING:  # imported on use: psycopg2 and pyarrow are not needed for a DuckDB warehouse
    from psycopg2.extensions import connection as PgConnection

    from cskpi.loaders.postgres import PgSettings

SPARK_PUBLISH_DISABLED = (
    "publish is disabled on the spark target: Spark rewrites its parquet tables in place with no "
    "snapshot isolation, so a copy could mix two builds; point BI tools at the Spark database "
    "(README, Spark target)"
)


class MartSourceError(LookupError):
    """The marts of the configured target cannot be read."""


class PublishDisabled(MartSourceError):
    """The target has no consistent way to copy its marts (Spark)."""


Selector = Callable[[str], bool]


class MartReader(Protocol):
    """Reads one warehouse's relations into the serving database connection it was opened with."""

    def relation_names(self) -> list[str]:
        """The selected relations (tables and views of the dbt schema), sorted."""
        ...

    def copy_table(self, name: str) -> None:
        """Create table ``name`` in the serving database with the relation's rows."""
        ...


class MartSource(Protocol):
    def describe(self) -> str: ...

    def open(self, serving: duckdb.DuckDBPyConnection, select: Selector) -> AbstractContextManager[MartReader]:
        """Read access to the relations ``select`` accepts, as one consistent state."""
        ...


# ------------------------------------------------------------------ DuckDB


class _AttachedDuckDB:
    def __init__(self, con: duckdb.DuckDBPyConnection, alias: str, select: Selector) -> None:
        self.con, self.alias, self.select = con, alias, select

    def relation_names(self) -> list[str]:
        rows = self.con.execute(
            "select table_name from information_schema.tables where table_catalog = ? and table_schema = 'main'"
            " order by table_name",
            [self.alias],
        ).fetchall()
        return [str(r[0]) for r in rows if self.select(str(r[0]))]

    def copy_table(self, name: str) -> None:
        self.con.execute(f'create table "{name}" as select * from {self.alias}.main."{name}"')


@dataclass(frozen=True)
class DuckDBMarts:
    path: Path

    def describe(self) -> str:
        return str(self.path)

    @contextmanager
    def open(self, serving: duckdb.DuckDBPyConnection, select: Selector) -> Iterator[MartReader]:
        if not self.path.exists():
            raise FileNotFoundError(f"no warehouse at {self.path}; build it first")
        escaped = str(self.path).replace("'", "''")
        # Shared: publishes may read side by side, but never while a run writes (it holds the lock
        # exclusively; re-entrant, so a run that publishes at its end reads under its own lock).
        with WarehouseLock(self.path, purpose="publish (read-only)", shared=True):
            serving.execute(f"attach '{escaped}' as wh (read_only)")
            try:
                yield _AttachedDuckDB(serving, "wh", select)
            finally:
                serving.execute("detach wh")


# ------------------------------------------------------------------ PostgreSQL

# format_type() spellings -> DuckDB types; numeric without a precision (unbounded in PostgreSQL)
# becomes double, the type the DuckDB build has for the same expressions.
_PG_TYPES: dict[str, str] = {
    "text": "varchar",
    "character varying": "varchar",
    "character": "varchar",
    "smallint": "smallint",
    "integer": "integer",
    "bigint": "bigint",
    "real": "float",
    "double precision": "double",
    "numeric": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
}


def duckdb_type(pg_type: str) -> str:
    """DuckDB column type for a PostgreSQL ``format_type()`` result; unknown types stay text."""
    base, _, modifier = pg_type.partition("(")
    base = base.strip()
    if base == "numeric" and modifier:
        precision = int(modifier.split(",")[0].rstrip(")"))
        if precision <= 38:
            return f"decimal({modifier.rstrip(')')})"
    return _PG_TYPES.get(base, "varchar")


class _PostgresSnapshot:
    def __init__(
        self, pg: PgConnection, serving: duckdb.DuckDBPyConnection, schema: str, names: list[str], tmp: Path
    ) -> None:
        self.pg, self.serving, self.schema, self.names, self.tmp = pg, serving, schema, names, tmp

    def relation_names(self) -> list[str]:
        return list(self.names)

    def _columns(self, name: str) -> list[tuple[str, str]]:
        with self.pg.cursor() as cur:
            cur.execute(
                """
                select a.attname, format_type(a.atttypid, a.atttypmod)
                from pg_attribute as a
                join pg_class as c on c.oid = a.attrelid
                join pg_namespace as n on n.oid = c.relnamespace
                where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped
                order by a.attnum
                """,
                (self.schema, name),
            )
            return [(str(r[0]), str(r[1])) for r in cur.fetchall()]

    def copy_table(self, name: str) -> None:
        from psycopg2 import sql

        columns = self._columns(name)
        csv_file = self.tmp / f"{name}.csv"
        # CSV: nulls are unquoted-empty, empty strings quoted, so both survive the trip.
        copy = sql.SQL("copy (select {} from {}.{}) to stdout with (format csv)").format(
            sql.SQL(", ").join(sql.Identifier(c) for c, _ in columns),
            sql.Identifier(self.schema),
            sql.Identifier(name),
        )
        with self.pg.cursor() as cur, csv_file.open("w", encoding="utf-8", newline="") as out:
            cur.copy_expert(copy.as_string(cur), out)
        struct = "{" + ", ".join(f"'{c}': '{duckdb_type(t)}'" for c, t in columns) + "}"
        path = str(csv_file).replace("'", "''")
        self.serving.execute(
            f"create table \"{name}\" as select * from read_csv('{path}', columns = {struct}, header = false, "
            "delim = ',', quote = '\"', escape = '\"', nullstr = '', allow_quoted_nulls = false, auto_detect = false)"
        )
        csv_file.unlink()


@dataclass(frozen=True)
class PostgresMarts:
    settings: PgSettings

    def describe(self) -> str:
        return targets.describe_warehouse(targets.POSTGRES)

    @contextmanager
    def open(self, serving: duckdb.DuckDBPyConnection, select: Selector) -> Iterator[MartReader]:
        import psycopg2
        from psycopg2.extensions import ISOLATION_LEVEL_REPEATABLE_READ

        from cskpi.loaders.landing import LandingError
        from cskpi.loaders.postgres import connect

        try:
            pg = connect(self.settings, application_name="cskpi publish")
        except LandingError as exc:
            raise MartSourceError(str(exc)) from None
        schema = self.settings.schema
        try:
            pg.set_session(isolation_level=ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
            names = [n for n in _relation_names(pg, schema) if select(n)]
            pg.rollback()  # the listing ran in its own transaction: the snapshot is taken after the locks
            with pg.cursor() as cur:
                cur.execute("set local timezone = 'UTC'")
                cur.execute("set local datestyle = 'ISO'")
                if names:
                    relations = sql_list(schema, names)
                    cur.execute(f"lock table {relations} in access share mode")
            serving.execute("set timezone = 'UTC'")
            with tempfile.TemporaryDirectory(prefix="cskpi-publish-") as tmp:
                yield _PostgresSnapshot(pg, serving, schema, names, Path(tmp))
        except psycopg2.Error as exc:
            detail = (exc.pgerror or str(exc)).strip()
            raise MartSourceError(f"reading the marts from {self.describe()} failed: {detail}") from exc
        finally:
            pg.rollback()
            pg.close()


def _relation_names(pg: PgConnection, schema: str) -> list[str]:
    with pg.cursor() as cur:
        cur.execute(
            "select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm') order by c.relname",
            (schema,),
        )
        return [str(r[0]) for r in cur.fetchall()]


def sql_list(schema: str, names: list[str]) -> str:
    """``"schema"."a", "schema"."b"``: quoted relation names for one statement."""

    def quote(ident: str) -> str:
        return '"' + ident.replace('"', '""') + '"'

    return ", ".join(f"{quote(schema)}.{quote(n)}" for n in names)


# ------------------------------------------------------------------ by target


def mart_source(target: str | None = None, duckdb_path: Path | None = None) -> MartSource:
    """The marts of ``target`` (default: ``CSKPI_TARGET``)."""
    target = target or targets.dbt_target()
    if target == targets.DUCKDB:
        return DuckDBMarts(duckdb_path or paths.warehouse_path())
    if target == targets.POSTGRES:
        from cskpi.loaders.postgres import PgSettings

        return PostgresMarts(PgSettings.from_env())
    if target == targets.SPARK:
        raise PublishDisabled(SPARK_PUBLISH_DISABLED)
    raise MartSourceError(f"unknown target {target!r} (CSKPI_TARGET); expected one of {', '.join(targets.TARGETS)}")
