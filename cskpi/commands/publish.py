"""``cskpi publish`` and ``cskpi rollback``: manage the read-only serving copies."""

from __future__ import annotations

import argparse
import sys
import uuid

import duckdb

from cskpi import paths
from cskpi.lock import WarehouseLockBusy
from cskpi.marts import mart_source
from cskpi.publish import DEFAULT_KEEP_VERSIONS, KEEP_ENV, publish, rollback

# Exit code when another process holds the warehouse or the serving folder: retry later.
BUSY = 3


def _publish(args: argparse.Namespace) -> int:
    try:
        version = publish(
            mart_source(), paths.serving_dir(), args.run_id or f"manual-{uuid.uuid4().hex[:8]}", keep=args.keep
        )
    except WarehouseLockBusy as exc:
        print(f"cskpi publish: {exc}; publish again when it has finished", file=sys.stderr)
        return BUSY
    except duckdb.IOException as exc:  # a process outside cskpi (a plain `dbt run`) holds the file
        print(f"cskpi publish: the warehouse is in use by another process: {exc}", file=sys.stderr)
        return BUSY
    except (FileNotFoundError, LookupError, ValueError) as exc:  # LookupError: no marts, or cskpi.marts.MartSourceError
        print(f"cskpi publish: {exc}", file=sys.stderr)
        return 1
    rows = sum(t.row_count for t in version.tables)
    print(f"published version {version.version_id}: {len(version.tables)} tables, {rows} rows -> {version.path}")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    try:
        restored = rollback(paths.serving_dir())
    except WarehouseLockBusy as exc:
        print(f"cskpi rollback: {exc}; roll back when it has finished", file=sys.stderr)
        return BUSY
    except LookupError as exc:
        print(f"cskpi rollback: {exc}", file=sys.stderr)
        return 1
    print(f"serving database rolled back to version {restored}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "publish",
        help="copy the marts of the target warehouse (CSKPI_TARGET) into a new read-only serving version",
    )
    p.add_argument("--run-id", help="run id recorded in the version table")
    p.add_argument(
        "--keep", type=int, help=f"versions to keep (default ${KEEP_ENV} or {DEFAULT_KEEP_VERSIONS})"
    )
    p.set_defaults(func=_publish)
    r = sub.add_parser("rollback", help="make the previous serving version current again")
    r.set_defaults(func=_rollback)
