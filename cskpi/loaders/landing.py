"""Discover the landing files of every raw table and read them as typed Arrow batches.

Layout (docs/contract.md): ``<raw_dir>/<system>/<table>/*.parquet`` (or ``*.csv``). The files of a
table are read with DuckDB (``union_by_name``), and every contract column is cast to its
contract type, so what reaches a server warehouse has exactly the types of cskpi.contract.
"""

from __future__ import annotations

import csv
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


def csv_header(path: Path) -> tuple[str, list[str]]:
    """The delimiter and lower-cased column names of a CSV landing file: its first non-blank
    line (BOM and CRLF allowed); ';' when that line has ';' and no ',' (as the DuckDB target)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line in handle:
            text = line.rstrip("\r\n")
            if text:
                delim = ";" if ";" in text and "," not in text else ","
                return delim, [name.strip().lower() for name in next(csv.reader([text], delimiter=delim))]
    return ",", []


def _csv_file_scan(path: Path, delim: str, names: list[str], rejects: bool) -> str:
    # the file's own header as names, every value text; no sniffing (a ragged line cannot become the header)
    columns = "{" + ", ".join(f"{_quote_literal(n)}: 'VARCHAR'" for n in names) + "}"
    options = ", store_rejects = true, rejects_table = 'cskpi_rejects', rejects_scan = 'cskpi_reject_scans'"
    return (
        f"read_csv({_quote_literal(str(path))}, header = true, columns = {columns}, auto_detect = false, "
        f"delim = {_quote_literal(delim)}, quote = '\"', escape = '\"'{options if rejects else ''})"
    )


def csv_scan(con: duckdb.DuckDBPyConnection, landing: LandingTable) -> tuple[str, list[str], list[str]]:
    """Check every CSV landing file of a table against the contract and read them as one
    relation (union by name, every value text, the lines that do not parse skipped).
    Returns the scan, the problems (a file whose header lacks a contract column, a line that
    does not parse: each with file and line) and the contract columns no file has."""
    problems: list[str] = []
    scans: list[str] = []
    seen: set[str] = set()
    for path in landing.files:
        try:
            delim, names = csv_header(path)
        except UnicodeDecodeError as exc:
            problems.append(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); export it as UTF-8")
            continue
        if not names:  # an empty file
            continue
        seen.update(names)
        missing = [c.name for c in landing.table.columns if c.name.lower() not in names]
        if missing:
            problems.append(f"{path}: the header lacks column(s) {', '.join(missing)}")
            continue
        # DuckDB appends to the rejects tables (temporary, created on the first rejected line)
        con.execute("drop table if exists cskpi_rejects; drop table if exists cskpi_reject_scans")
        # every column is read (a bare count(*) would skip parsing the values)
        counts = ", ".join(f"count({_quote_ident(n)})" for n in names)
        con.execute(f"select {counts} from {_csv_file_scan(path, delim, names, rejects=True)}").fetchall()
        exists = con.execute("select count(*) from duckdb_tables() where table_name = 'cskpi_rejects'").fetchone()
        rejected = con.execute(
            "select line, any_value(error_message) from cskpi_rejects group by line order by line"
        ).fetchall() if exists and exists[0] else []
        problems += [f"{path} line {line}: {message}" for line, message in rejected]
        scans.append(f"select * from {_csv_file_scan(path, delim, names, rejects=bool(rejected))}")
    absent = [c.name for c in landing.table.columns if c.name.lower() not in seen]
    if not scans:
        names = ", ".join(f"cast(null as varchar) as {_quote_ident(c.name)}" for c in landing.table.columns)
        return f"(select {names} where false)", problems, absent
    return "(" + " union all by name ".join(scans) + ")", problems, absent


def csv_scan_sql(con: duckdb.DuckDBPyConnection, landing: LandingTable) -> str:
    """The CSV landing files of a table as one relation, when every line parses against the
    contract; else LandingError naming each file and line, so no row is silently dropped."""
    scan, problems, _ = csv_scan(con, landing)
    if problems:
        raise LandingError(
            f"{landing.label}: CSV landing lines that do not parse against the contract (fix them and load "
            "again; the DuckDB target quarantines them as malformed_line / missing_column):\n  - "
            + "\n  - ".join(problems)
        )
    return scan


def _scan_sql(con: duckdb.DuckDBPyConnection, landing: LandingTable) -> str:
    paths = "[" + ", ".join(_quote_literal(str(p)) for p in landing.files) + "]"
    if landing.file_format == "parquet":
        return f"read_parquet({paths}, union_by_name = true)"
    # CSV: read every column as text and let the contract cast decide, like dbt's sources do.
    return csv_scan_sql(con, landing)


def _typed_select(con: duckdb.DuckDBPyConnection, landing: LandingTable) -> str:
    try:
        scan = _scan_sql(con, landing)
    except duckdb.Error as exc:
        raise LandingError(f"{landing.label}: cannot read landing files in {landing.files[0].parent}: {exc}") from exc
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
