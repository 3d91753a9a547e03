"""Atomic publish of the marts into a read-only serving database and Parquet exports.

DuckDB allows one writer and a reader blocks it, so analysts never open the file dbt
writes. Each publish writes a complete new version directory, checkpoints it, and only
then swaps the ``current`` symlink with one atomic rename: a reader sees either the old
or the new version, never a half-written one, and keeps its open version until it
reconnects. Older versions are kept for rollback. The marts come from the DuckDB warehouse
or, for a server target, from a consistent snapshot of its dbt schema (cskpi.marts).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cskpi.marts import DuckDBMarts, MartSource

# Tables readers may see: facts, dimensions, KPI marts and data-quality summaries.
PUBLISHED_PREFIXES: tuple[str, ...] = ("dim_", "fct_", "kpi_", "dq_")
# Never published even though the prefix matches: quarantined raw rows can hold PII.
NOT_PUBLISHED: frozenset[str] = frozenset({"fct_quarantined_rows"})
VERSION_TABLE = "serving_versions"
TABLES_TABLE = "serving_tables"
CURRENT = "current"
DATABASE_FILE = "cskpi.duckdb"
_VERSION_RE = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")


@dataclass(frozen=True)
class PublishedTable:
    name: str
    row_count: int
    checksum: str


@dataclass(frozen=True)
class Version:
    version_id: str
    path: Path
    run_id: str
    built_at: str
    tables: tuple[PublishedTable, ...]


def _versions_dir(serving: Path) -> Path:
    return serving / "versions"


def list_versions(serving: Path) -> list[str]:
    """Version ids, oldest first (ids sort by time)."""
    vdir = _versions_dir(serving)
    if not vdir.exists():
        return []
    return sorted(p.name for p in vdir.iterdir() if p.is_dir() and _VERSION_RE.match(p.name))


def current_version(serving: Path) -> str | None:
    link = serving / CURRENT
    if not link.is_symlink():
        return None
    return Path(os.readlink(link)).name


def _new_version_id(serving: Path, now: datetime) -> str:
    base = now.strftime("%Y%m%dT%H%M%SZ")
    existing = set(list_versions(serving))
    candidate, n = base, 1
    while candidate in existing:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def is_published(name: str) -> bool:
    return name.startswith(PUBLISHED_PREFIXES) and name not in NOT_PUBLISHED


def table_checksum(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, str]:
    """Row count and an order-independent content checksum of ``table``."""
    count, total = con.execute(
        f'select count(*), coalesce(sum(cast(hash(t) as hugeint)), 0) from "{table}" t'
    ).fetchone()
    return int(count), format(int(total) & ((1 << 128) - 1), "032x")


def _swap_current(serving: Path, version_id: str) -> None:
    tmp = serving / f".{CURRENT}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(Path("versions") / version_id)
    os.replace(tmp, serving / CURRENT)  # rename(2) is atomic: readers never see a missing link


def _prune(serving: Path, keep: int) -> None:
    current = current_version(serving)
    versions = list_versions(serving)
    for vid in versions[: max(0, len(versions) - keep)]:
        if vid != current:
            shutil.rmtree(_versions_dir(serving) / vid)


def publish(
    warehouse: Path | MartSource, serving: Path, run_id: str, keep: int = 3, now: datetime | None = None
) -> Version:
    """Copy the marts of ``warehouse`` (a DuckDB file, or the marts of a server target, see
    cskpi.marts) into a new serving version and make it current."""
    source = DuckDBMarts(warehouse) if isinstance(warehouse, Path) else warehouse
    now = now or datetime.now(UTC)
    serving.mkdir(parents=True, exist_ok=True)
    version_id = _new_version_id(serving, now)
    staging_dir = _versions_dir(serving) / f".{version_id}.partial"
    if staging_dir.exists():
        shutil.rmtree(staging_dir)
    (staging_dir / "parquet").mkdir(parents=True)
    built_at = now.isoformat(timespec="seconds")
    con = duckdb.connect(str(staging_dir / DATABASE_FILE))
    copied = False
    try:
        with source.open(con, is_published) as reader:
            names = reader.relation_names()
            if not names:
                raise LookupError(
                    f"{source.describe()} has no mart tables to publish ({', '.join(PUBLISHED_PREFIXES)}*)"
                )
            tables = []
            for name in names:
                reader.copy_table(name)
                count, checksum = table_checksum(con, name)
                tables.append(PublishedTable(name, count, checksum))
        con.execute(f"create table {VERSION_TABLE} (version_id varchar, run_id varchar, built_at timestamptz)")
        con.execute(
            f"insert into {VERSION_TABLE} values (?, ?, cast(? as timestamptz))", [version_id, run_id, built_at]
        )
        con.execute(f"create table {TABLES_TABLE} (table_name varchar, row_count bigint, checksum varchar)")
        con.executemany(
            f"insert into {TABLES_TABLE} values (?, ?, ?)", [(t.name, t.row_count, t.checksum) for t in tables]
        )
        for t in tables:
            target = staging_dir / "parquet" / t.name
            if t.name == "kpi_metrics":
                con.execute(
                    f"copy \"{t.name}\" to '{target}' (format parquet, partition_by (period_grain), overwrite true)"
                )
            else:
                con.execute(f"copy \"{t.name}\" to '{target}.parquet' (format parquet)")
        con.execute("checkpoint")
        copied = True
    finally:
        con.close()
        if not copied:  # a failed publish leaves no partial version behind
            shutil.rmtree(staging_dir, ignore_errors=True)
    manifest = {
        "version_id": version_id,
        "run_id": run_id,
        "built_at": built_at,
        "tables": {t.name: {"row_count": t.row_count, "checksum": t.checksum} for t in tables},
    }
    (staging_dir / "version.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    final_dir = _versions_dir(serving) / version_id
    os.replace(staging_dir, final_dir)
    _swap_current(serving, version_id)
    _prune(serving, keep)
    return Version(version_id, final_dir, run_id, built_at, tuple(tables))


def rollback(serving: Path) -> str:
    """Point ``current`` at the version before it; returns the restored version id."""
    versions = list_versions(serving)
    current = current_version(serving)
    if current is None or current not in versions:
        raise LookupError(f"nothing published in {serving}")
    idx = versions.index(current)
    if idx == 0:
        raise LookupError(f"{current} is the oldest kept version; nothing to roll back to")
    previous = versions[idx - 1]
    # The rolled-back version stays on disk (nothing is lost); the next publish prunes it.
    _swap_current(serving, previous)
    return previous
