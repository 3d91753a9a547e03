"""The raw landing tables of ``cskpi.contract`` as external (observed, not materialized) assets.

Dagster does not produce these files -- exporters from the source systems do -- so
they are ``AssetSpec``s; ``sensors.landing_observation_sensor`` records their row
count and newest ``_loaded_at`` as observations, which is what the UI shows as
"last updated" for the landing group. The optional reference tables
(``<raw_dir>/reference/<table>/``) are landing assets too; they carry no ``_loaded_at``, so only
their files count towards the change fingerprint.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
from dagster import AssetKey, AssetSpec, TableColumn, TableSchema

from cskpi.contract import REFERENCE_TABLES, TABLES, Table

LANDING_GROUP = "landing"
LANDING_PREFIX = "landing"


def landing_asset_key(table: Table) -> AssetKey:
    return AssetKey([LANDING_PREFIX, table.system, table.name])


def landing_key_for_path(contract_path: str) -> AssetKey:
    system, name = contract_path.split("/", 1)
    return AssetKey([LANDING_PREFIX, system, name])


def _spec(table: Table) -> AssetSpec:
    schema = TableSchema(
        columns=[
            TableColumn(
                name=c.name,
                type=c.type,
                description=c.description + (" (PII)" if c.pii else ""),
            )
            for c in table.columns
        ]
    )
    return AssetSpec(
        key=landing_asset_key(table),
        description=table.description,
        group_name=LANDING_GROUP,
        kinds={"parquet"},
        metadata={
            "dagster/column_schema": schema,
            "primary_key": ", ".join(table.primary_key),
            "landing_glob": f"<raw_dir>/{table.path}/*.parquet (or *.csv)",
            "pii_columns": ", ".join(c.name for c in table.columns if c.pii) or "none",
        },
    )


landing_specs: list[AssetSpec] = [_spec(t) for t in (*TABLES, *REFERENCE_TABLES)]


@dataclass(frozen=True)
class LandingStats:
    table: str
    file_count: int
    row_count: int
    newest_loaded_at: datetime | None
    file_format: str | None

    def as_metadata(self) -> dict[str, object]:
        return {
            "row_count": self.row_count,
            "dagster/row_count": self.row_count,
            "file_count": self.file_count,
            "newest_loaded_at": self.newest_loaded_at.isoformat() if self.newest_loaded_at else "none",
            "format": self.file_format or "none",
        }


def landing_files(raw_dir: Path, table: Table) -> tuple[str | None, list[Path]]:
    """The files of a table, preferring Parquet (the default landing format) over CSV."""
    folder = raw_dir / table.system / table.name
    for fmt in ("parquet", "csv"):
        files = sorted(folder.glob(f"*.{fmt}")) if folder.is_dir() else []
        if files:
            return fmt, files
    return None, []


def observe_landing_table(raw_dir: Path, table: Table) -> LandingStats:
    """Row count and newest ``_loaded_at`` of one landing table, read with an in-memory DuckDB
    (the files are only read; the warehouse file is never opened, so no lock is needed)."""
    fmt, files = landing_files(raw_dir, table)
    if not files:
        return LandingStats(table.path, 0, 0, None, None)
    reader = "read_parquet" if fmt == "parquet" else "read_csv_auto"
    file_list = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
    con = duckdb.connect(":memory:")
    try:
        row = con.execute(
            f"select count(*), max(cast(_loaded_at as timestamp)) from {reader}({file_list}, union_by_name=true)"
        ).fetchone()
    finally:
        con.close()
    assert row is not None  # an aggregate always returns one row
    return LandingStats(table.path, len(files), int(row[0]), row[1], fmt)


def landing_fingerprint(raw_dir: Path) -> str:
    """Cheap change detector (file names, sizes, mtimes) so the sensor skips unchanged landings."""
    parts: list[str] = []
    for table in (*TABLES, *REFERENCE_TABLES):
        _, files = landing_files(raw_dir, table)
        for f in files:
            st = os.stat(f)
            parts.append(f"{f.relative_to(raw_dir)}:{st.st_size}:{int(st.st_mtime)}")
    # sha1, not hash(): the cursor must be stable across sensor processes.
    return hashlib.sha1("|".join(parts).encode()).hexdigest()
