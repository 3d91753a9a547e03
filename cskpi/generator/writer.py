"""Writes raw tables as numbered part files, streaming row groups (Parquet) or rows (CSV)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cskpi import contract
from cskpi.generator.arrow import schema

LOW_CARDINALITY = {"market_code", "currency", "team", "escalated_to", "agent_id", "assignee_agent_id", "subject",
                   "comment", "queue", "direction", "employment"}


def _dictionary_columns(path: str) -> list[str]:
    """Dictionary-encode only repetitive text columns: smaller files, faster writes."""
    return [c.name for c in contract.table(path).columns
            if c.type == "varchar" and (c.accepted_values or c.name in LOW_CARDINALITY)]


def _statistics_columns(path: str) -> list[str]:
    """Min/max statistics where readers prune on them (times, keys, market); text stats are costly."""
    t = contract.table(path)
    return [c.name for c in t.columns if c.type != "varchar" or c.name in t.primary_key or c.name == "market_code"]


class RawWriter:
    """One open file per table; a new part file starts when the caller moves to a new part."""

    def __init__(self, out: Path, fmt: str) -> None:
        self.out = out
        self.fmt = fmt
        self._open: dict[str, tuple[int, pq.ParquetWriter | pacsv.CSVWriter]] = {}
        self.files: dict[str, int] = {t.path: 0 for t in contract.TABLES}
        self.rows: dict[str, int] = {t.path: 0 for t in contract.TABLES}
        for t in contract.TABLES:  # only the folders this run writes are emptied
            folder = out / t.path
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)

    def _file(self, path: str, part: int) -> Path:
        return self.out / path / f"part-{part:05d}.{self.fmt}"

    def write(self, path: str, part: int, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        current = self._open.get(path)
        if current is None or current[0] != part:
            if current is not None:
                current[1].close()
            sch = schema(contract.table(path))
            file = self._file(path, part)
            if self.fmt == "parquet":
                writer: pq.ParquetWriter | pacsv.CSVWriter = pq.ParquetWriter(
                    file, sch, compression="zstd", compression_level=1, version="2.6",
                    write_statistics=_statistics_columns(path), use_dictionary=_dictionary_columns(path))
            else:
                writer = pacsv.CSVWriter(file, sch)
            self._open[path] = (part, writer)
            self.files[path] += 1
        self._open[path][1].write_table(table)
        self.rows[path] += table.num_rows

    def close(self) -> None:
        for _part, writer in self._open.values():
            writer.close()
        self._open.clear()
        for t in contract.TABLES:  # readers need at least one (empty) file per table
            if self.files[t.path] == 0:
                empty = schema(t).empty_table()
                if self.fmt == "parquet":
                    pq.write_table(empty, self._file(t.path, 0), compression="zstd")
                else:
                    pacsv.write_csv(empty, self._file(t.path, 0))
                self.files[t.path] = 1
