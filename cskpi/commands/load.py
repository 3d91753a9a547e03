"""``cskpi load``: copy the landing files into the raw schemas of a server warehouse.

DuckDB (the default target) reads the landing files in place and needs no load.
PostgreSQL gets one table per raw table in schema ``raw_<system>`` (e.g. raw_helpdesk.tickets);
Spark one parquet table per raw table in database ``raw_<system>`` (cskpi/loaders/spark.py).
Reference tables (``<raw_dir>/reference/<table>/``, optional) are loaded into ``raw_reference``
when they have files.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cskpi import paths
from cskpi.contract import REFERENCE_BY_NAME, REFERENCE_SYSTEM, REFERENCE_TABLES, TABLES, Table, table

TARGETS = ("postgres", "spark", "duckdb")


def _selected_tables(names: list[str] | None) -> tuple[Table, ...]:
    if not names:
        return TABLES + REFERENCE_TABLES
    return tuple(_table(name) for name in names)


def _table(name: str) -> Table:
    system, _, rest = name.partition("/")
    if system == REFERENCE_SYSTEM and rest in REFERENCE_BY_NAME:
        return REFERENCE_BY_NAME[rest]
    return table(name)


def _load_postgres(raw_dir: Path, tables: tuple[Table, ...]) -> int:
    from cskpi.loaders.landing import LandingError
    from cskpi.loaders.postgres import LoadResult, PgSettings, load_postgres

    started = time.monotonic()

    def report(result: LoadResult) -> None:
        print(
            f"loaded {result.table:<40} {result.rows:>10,} rows  {result.files:>3} file(s)  {result.seconds:6.1f}s",
            file=sys.stderr,
            flush=True,
        )

    try:
        settings = PgSettings.from_env()
        print(f"loading {raw_dir} into {settings.describe()}", file=sys.stderr, flush=True)
        results = load_postgres(raw_dir, settings, tables, progress=report)
    except LandingError as exc:
        print(f"cskpi load: {exc}", file=sys.stderr)
        return 1
    total = sum(r.rows for r in results)
    print(
        f"loaded {len(results)} raw tables, {total:,} rows in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
    )
    return 0


def _load_spark(raw_dir: Path, tables: tuple[Table, ...]) -> int:
    from cskpi.loaders.landing import LandingError
    from cskpi.loaders.spark import LoadResult, load_spark, spark_conf

    started = time.monotonic()

    def report(result: LoadResult) -> None:
        print(
            f"loaded {result.table:<40} {result.rows:>10,} rows  {result.files:>3} file(s)  {result.seconds:6.1f}s",
            file=sys.stderr,
            flush=True,
        )

    conf = spark_conf()
    print(
        f"loading {raw_dir} into Spark ({conf['spark.master']}, warehouse {conf['spark.sql.warehouse.dir']})",
        file=sys.stderr,
        flush=True,
    )
    try:
        results = load_spark(raw_dir, tables, progress=report)
    except LandingError as exc:
        print(f"cskpi load: {exc}", file=sys.stderr)
        return 1
    total = sum(r.rows for r in results)
    print(
        f"loaded {len(results)} raw tables, {total:,} rows in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    raw_dir = Path(args.raw_dir) if args.raw_dir else paths.raw_dir()
    try:
        tables = _selected_tables(args.table)
    except KeyError as exc:
        print(f"cskpi load: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.target == "postgres":
        return _load_postgres(raw_dir, tables)
    if args.target == "spark":
        return _load_spark(raw_dir, tables)
    if args.target == "duckdb":
        print("cskpi load: nothing to do, the duckdb target reads the landing files in place", file=sys.stderr)
        return 0
    print(f"cskpi load: target {args.target!r} is not supported", file=sys.stderr)
    return 2


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("load", help="load the landing files into the raw schemas of a server warehouse")
    p.add_argument("--target", required=True, choices=TARGETS, help="warehouse to load (postgres, spark)")
    p.add_argument("--raw-dir", help="landing folder (default: CSKPI_RAW_DIR or data/raw)")
    p.add_argument(
        "--table",
        action="append",
        metavar="SYSTEM/TABLE",
        help="load only this raw table (repeatable), e.g. helpdesk/tickets",
    )
    p.set_defaults(func=_run)
