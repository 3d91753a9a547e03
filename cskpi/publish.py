"""Atomic publish of the marts into a read-only serving database and Parquet exports.

DuckDB allows one writer and a reader blocks it, so analysts never open the file dbt
writes. Each publish writes a complete new version directory, checkpoints it, and only
then swaps the ``current`` symlink with one atomic rename: a reader sees either the old
or the new version, never a half-written one, and keeps its open version until it
reconnects. Older versions are kept for rollback. The marts come from the DuckDB warehouse
or, for a server target, from a consistent snapshot of its dbt schema (cskpi.marts).

The serving file is written in an older DuckDB storage format (``CSKPI_SERVING_STORAGE_VERSION``,
default ``v1.2.0``): BI drivers and CLIs embed a DuckDB library that lags the one building the
warehouse, and a reader refuses files newer than itself.

One publish (or rollback) at a time per serving folder, whoever starts it: the CLI, the Dagster
asset and ``cskpi run`` all go through :func:`publish`, which holds ``<serving>/.publish.lock``
(a second publish waits up to ``CSKPI_PUBLISH_WAIT_SECONDS``). Under that lock any leftover
``.<id>.partial`` folder is a killed publish's and is removed. Published files are made read-only
(0444, folders 0555) so a client that forgets ``read_only`` cannot change or lock live serving.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cskpi.lock import publish_lock
from cskpi.marts import DuckDBMarts, MartSource

# Tables readers may see: facts, dimensions, KPI marts and data-quality summaries.
PUBLISHED_PREFIXES: tuple[str, ...] = ("dim_", "fct_", "kpi_", "dq_")
# Never published even though the prefix matches: quarantined raw rows can hold PII, and the
# kpi_targets seed holds only the shipped defaults (the targets in force, with the ones landed in
# <raw_dir>/reference/kpi_targets, are in kpi_metrics and kpi_monthly).
NOT_PUBLISHED: frozenset[str] = frozenset({"fct_quarantined_rows", "kpi_targets"})
# Published tables that record the run itself (when it ran, what it saw): every other table is a
# function of the landed data, so identical input gives identical checksums.
RUN_LOG_TABLES: frozenset[str] = frozenset({"dq_landing_history", "dq_landing_freshness"})
VERSION_TABLE = "serving_versions"
TABLES_TABLE = "serving_tables"
CURRENT = "current"
DATABASE_FILE = "cskpi.duckdb"
KEEP_ENV = "CSKPI_SERVING_KEEP"
DEFAULT_KEEP_VERSIONS = 3
STORAGE_VERSION_ENV = "CSKPI_SERVING_STORAGE_VERSION"
# Readable by DuckDB 1.2 and every later release.
DEFAULT_STORAGE_VERSION = "v1.2.0"
WAIT_ENV = "CSKPI_PUBLISH_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 300.0
PARTIAL_SUFFIX = ".partial"
FILE_MODE, DIR_MODE = 0o444, 0o555
_SERVING_CATALOG = "serving"
_VERSION_RE = re.compile(r"^(\d{8}T\d{6}Z)(?:-(\d+))?$")


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
    return sorted((p.name for p in vdir.iterdir() if p.is_dir() and _VERSION_RE.match(p.name)), key=_version_order)


def _version_order(version_id: str) -> tuple[str, int]:
    """Publish order: by time, then by the counter of versions published within one second."""
    match = _VERSION_RE.match(version_id)
    if match is None:
        raise ValueError(f"{version_id!r} is not a serving version id")
    return match.group(1), int(match.group(2) or 0)


def current_version(serving: Path) -> str | None:
    link = serving / CURRENT
    if not link.is_symlink():
        return None
    return Path(os.readlink(link)).name


def _new_version_id(serving: Path, now: datetime) -> str:
    """An id that sorts after every existing one, even when pruning removed earlier ids of the same second."""
    base = now.strftime("%Y%m%dT%H%M%SZ")
    same_second = [_version_order(v)[1] for v in list_versions(serving) if _version_order(v)[0] == base]
    return f"{base}-{max(same_second) + 1}" if same_second else base


def keep_versions(environ: Mapping[str, str] | None = None) -> int:
    """Versions kept for rollback: ``CSKPI_SERVING_KEEP`` or the default."""
    raw = (os.environ if environ is None else environ).get(KEEP_ENV, "").strip()
    if not raw:
        return DEFAULT_KEEP_VERSIONS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{KEEP_ENV}={raw!r} must be a positive integer")
    return int(raw)


def publish_wait(environ: Mapping[str, str] | None = None) -> float:
    """Seconds a publish waits for another one to finish: ``CSKPI_PUBLISH_WAIT_SECONDS`` or the default."""
    raw = (os.environ if environ is None else environ).get(WAIT_ENV, "").strip()
    if not raw:
        return DEFAULT_WAIT_SECONDS
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise ValueError(f"{WAIT_ENV}={raw!r} must be a number of seconds") from None


def storage_version(environ: Mapping[str, str] | None = None) -> str:
    """DuckDB storage version of the serving file: ``CSKPI_SERVING_STORAGE_VERSION`` or the default."""
    env = os.environ if environ is None else environ
    return env.get(STORAGE_VERSION_ENV, "").strip() or DEFAULT_STORAGE_VERSION


def is_published(name: str) -> bool:
    """Whether a warehouse table of this name is copied to the serving database."""
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


def _make_read_only(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True):  # children before their folder
        path.chmod(DIR_MODE if path.is_dir() else FILE_MODE)
    root.chmod(DIR_MODE)


def _remove(root: Path) -> None:
    """rmtree of a read-only version: its folders must be writable to unlink their entries."""
    for path in (root, *root.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(root)


def _remove_partials(serving: Path) -> None:
    """Staging folders of publishes that were killed (only called under the publish lock)."""
    vdir = _versions_dir(serving)
    if vdir.exists():
        for path in vdir.iterdir():
            if path.name.startswith(".") and path.name.endswith(PARTIAL_SUFFIX):
                _remove(path)


def _prune(serving: Path, keep: int) -> None:
    current = current_version(serving)
    versions = list_versions(serving)
    for vid in versions[: max(0, len(versions) - keep)]:
        if vid != current:
            _remove(_versions_dir(serving) / vid)


def _attach_serving(con: duckdb.DuckDBPyConnection, path: Path, version: str) -> None:
    """Create the serving file in storage format ``version`` and make it the default catalog."""
    try:
        con.execute(f"attach '{path}' as {_SERVING_CATALOG} (storage_version '{version}')")
    except duckdb.InvalidInputException as exc:
        raise ValueError(f"{STORAGE_VERSION_ENV}={version!r}: {exc}") from None
    con.execute(f"use {_SERVING_CATALOG}")


def publish(
    warehouse: Path | MartSource,
    serving: Path,
    run_id: str,
    keep: int | None = None,
    now: datetime | None = None,
    storage: str | None = None,
    wait: float | None = None,
) -> Version:
    """Copy the marts of ``warehouse`` (a DuckDB file, or the marts of a server target, see
    cskpi.marts) into a new serving version and make it current.

    ``keep`` versions stay for rollback (default: :func:`keep_versions`); ``storage`` is the
    DuckDB storage version of the serving file (default: :func:`storage_version`); ``wait``
    the seconds to wait for another publish of the same folder (default: :func:`publish_wait`).
    """
    source = DuckDBMarts(warehouse) if isinstance(warehouse, Path) else warehouse
    keep = keep_versions() if keep is None else keep
    storage = storage or storage_version()
    serving.mkdir(parents=True, exist_ok=True)
    with publish_lock(serving, publish_wait() if wait is None else wait):
        _remove_partials(serving)
        return _publish_locked(source, serving, run_id, keep, now or datetime.now(UTC), storage)


def _publish_locked(
    source: MartSource, serving: Path, run_id: str, keep: int, now: datetime, storage: str
) -> Version:
    version_id = _new_version_id(serving, now)
    staging_dir = _versions_dir(serving) / f".{version_id}{PARTIAL_SUFFIX}"
    (staging_dir / "parquet").mkdir(parents=True)
    built_at = now.isoformat(timespec="seconds")
    # In memory, so the serving file is created by ATTACH, the only way to choose its storage version;
    # spills go where a file connection would put them, next to the file, not into the cwd.
    con = duckdb.connect(config={"temp_directory": str(staging_dir / f"{DATABASE_FILE}.tmp")})
    copied = False
    try:
        _attach_serving(con, staging_dir / DATABASE_FILE, storage)
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
        con.execute(f"checkpoint {_SERVING_CATALOG}")
        con.execute("use memory")
        con.execute(f"detach {_SERVING_CATALOG}")
        copied = True
    finally:
        con.close()
        if not copied:  # a failed publish leaves no partial version behind
            _remove(staging_dir)
    manifest = {
        "version_id": version_id,
        "run_id": run_id,
        "built_at": built_at,
        "tables": {t.name: {"row_count": t.row_count, "checksum": t.checksum} for t in tables},
    }
    (staging_dir / "version.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    _make_read_only(staging_dir)
    final_dir = _versions_dir(serving) / version_id
    os.replace(staging_dir, final_dir)
    _swap_current(serving, version_id)
    _prune(serving, keep)
    return Version(version_id, final_dir, run_id, built_at, tuple(tables))


def rollback(serving: Path, wait: float | None = None) -> str:
    """Point ``current`` at the version before it; returns the restored version id."""
    with publish_lock(serving, publish_wait() if wait is None else wait):
        return _rollback_locked(serving)


def _rollback_locked(serving: Path) -> str:
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
