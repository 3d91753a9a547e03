"""A reader of the serving database for tests: runs in its own process, like an analyst."""

from __future__ import annotations

import time
from multiprocessing import Queue
from pathlib import Path

import duckdb

from cskpi.serving import connect


def reader_loop(db_link: str, stop_at: float, queue: Queue, stop_file: str | None = None) -> None:
    """Query the current serving version until ``stop_at`` (or ``stop_file`` exists).

    Each pass opens the database read-only and checks every table's row count against
    the version's own ``serving_tables``; puts (reads, errors, versions seen) on ``queue``.
    """
    reads, errors, versions = 0, [], set()
    while time.monotonic() < stop_at and not (stop_file and Path(stop_file).exists()):
        try:
            con = connect(db_link)
            try:
                versions.add(con.execute("select version_id from serving_versions").fetchone()[0])
                expected = dict(con.execute("select table_name, row_count from serving_tables").fetchall())
                for name, count in expected.items():
                    actual = con.execute(f'select count(*) from "{name}"').fetchone()[0]
                    if actual != count:
                        errors.append(f"{name}: {actual} != {count}")
            finally:
                con.close()
            reads += 1
        except duckdb.Error as exc:
            errors.append(repr(exc))
        time.sleep(0.05)
    queue.put((reads, errors, sorted(versions)))
