"""Discover the landing files of every raw table and read them as typed Arrow batches.

Layout (docs/contract.md): ``<raw_dir>/<system>/<table>/*.parquet`` (or ``*.csv``). The files of a
table are read with DuckDB (``union_by_name``), and every contract column is cast to its
contract type, so what reaches a server warehouse has exactly the types of cskpi.contract.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from cskpi.contract import REFERENCE_SYSTEM, TABLES, Table

# Contract type -> DuckDB type used for the cast on read.
DUCKDB_TYPES: dict[str, str] = {
    "varchar": "VARCHAR",
    "integer": "INTEGER",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}

BATCH_ROWS = 100_000


class LandingError(Exception):
    """A landing table is missing, unreadable or does not satisfy the raw contract."""


@dataclass(frozen=True)
class LandingTable:
    """The landing files of one raw table."""

    table: Table
    files: tuple[Path, ...]
    file_format: str  # "parquet" or "csv"

    @property
    def label(self) -> str:
        return self.table.path


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def landing_files(raw_dir: Path, table: Table) -> tuple[tuple[Path, ...], str]:
    """The files of ``table`` under ``raw_dir`` and their format; parquet wins over csv."""
    folder = raw_dir / table.system / table.name
    for fmt in ("parquet", "csv"):
        files = tuple(sorted(folder.glob(f"*.{fmt}")))
        if files:
            return files, fmt
    return (), ""


def find_landing_tables(raw_dir: Path, tables: Sequence[Table] = TABLES) -> list[LandingTable]:
    """Landing files for every table; raises LandingError naming every missing table."""
    if not raw_dir.is_dir():
        raise LandingError(f"raw landing folder {raw_dir} does not exist (set --raw-dir or CSKPI_RAW_DIR)")
    found: list[LandingTable] = []
    missing: list[str] = []
    for table in tables:
        files, fmt = landing_files(raw_dir, table)
        if files:
            found.append(LandingTable(table, files, fmt))
        else:
            missing.append(f"{table.path} (no *.parquet or *.csv in {raw_dir / table.system / table.name})")
    if missing:
        raise LandingError("raw table(s) missing from the landing folder:\n  - " + "\n  - ".join(missing))
    return found


def find_loadable_tables(raw_dir: Path, tables: Sequence[Table] = TABLES) -> list[LandingTable]:
    """Landing files of ``tables``: every raw table must be present (find_landing_tables), a
    reference table (``reference/<table>``, optional) is loaded only when it has files."""
    raw = [t for t in tables if t.system != REFERENCE_SYSTEM]
    found = find_landing_tables(raw_dir, raw) if raw else []
    for table in tables:
        if table.system == REFERENCE_SYSTEM:
            files, fmt = landing_files(raw_dir, table)
            if files:
                found.append(LandingTable(table, files, fmt))
    return found


def _scan_sql(landing: LandingTable) -> str:
    paths = "[" + ", ".join(_quote_literal(str(p)) for p in landing.files) + "]"
    if landing.file_format == "parquet":
        return f"read_parquet({paths}, union_by_name = true)"
    # CSV: read every column as text and let the contract cast decide, like dbt's sources do.
    return f"read_csv({paths}, header = true, union_by_name = true, all_varchar = true)"


def _typed_select(con: duckdb.DuckDBPyConnection, landing: LandingTable) -> str:
    scan = _scan_sql(landing)
    try:
        described = con.execute(f"describe select * from {scan}").fetchall()
    except duckdb.Error as exc:
        raise LandingError(f"{landing.label}: cannot read landing files in {landing.files[0].parent}: {exc}") from exc
    present = {row[0].lower() for row in described}
    missing = [c.name for c in landing.table.columns if c.name.lower() not in present]
    if missing:
        raise LandingError(
            f"{landing.label}: landing files lack required column(s) {', '.join(missing)} ({landing.files[0].parent})"
        )
    cols = ", ".join(
        f"cast({_quote_ident(c.name)} as {DUCKDB_TYPES[c.type]}) as {_quote_ident(c.name)}"
        for c in landing.table.columns
    )
    return f"select {cols} from {scan}"


def read_batches(
    con: duckdb.DuckDBPyConnection, landing: LandingTable, batch_rows: int = BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """Typed record batches of the contract columns of ``landing`` (extra columns are dropped)."""
    sql = _typed_select(con, landing)
    try:
        reader = con.sql(sql).to_arrow_reader(batch_rows)
        yield from reader
    except duckdb.Error as exc:
        raise LandingError(f"{landing.label}: cannot read landing files as the contract types: {exc}") from exc
