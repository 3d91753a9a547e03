"""Arrow schemas from the contract and conversion of numpy columns to Arrow arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from cskpi import contract

ARROW_TYPES: dict[str, pa.DataType] = {
    "varchar": pa.string(),
    "integer": pa.int32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}
NULL_TIME = np.iinfo(np.int64).min  # marks a missing instant in int64 second arrays
NULL_INT = np.iinfo(np.int64).min


def schema(table: contract.Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type], nullable=True) for c in table.columns])


def to_arrow(values: Any, type_: pa.DataType) -> pa.Array:
    """numpy -> Arrow; int64 sentinels become nulls (seconds for timestamps, days for dates)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == type_ else values.cast(type_)
    arr = np.asarray(values)
    if pa.types.is_timestamp(type_):
        mask = arr == NULL_TIME
        return pa.array(np.where(mask, 0, arr) * 1_000_000, type=pa.int64(), mask=mask).cast(type_)
    if pa.types.is_date32(type_):
        mask = arr == NULL_INT
        return pa.array(np.where(mask, 0, arr).astype(np.int32), type=pa.int32(), mask=mask).cast(type_)
    if pa.types.is_integer(type_):
        mask = arr == NULL_INT
        return pa.array(np.where(mask, 0, arr).astype(np.int32), type=type_, mask=mask)
    if arr.dtype == object:
        return pa.array(arr.tolist(), type=type_)
    return pa.array(arr, type=type_)


def build(path: str, columns: dict[str, Any]) -> pa.Table:
    """A table of ``path`` in contract column order; every contract column must be given."""
    spec = contract.table(path)
    missing = set(spec.column_names) - set(columns)
    extra = set(columns) - set(spec.column_names)
    if missing or extra:
        raise ValueError(f"{path}: missing columns {sorted(missing)}, unexpected {sorted(extra)}")
    sch = schema(spec)
    arrays = [to_arrow(columns[f.name], f.type) for f in sch]
    n = {len(a) for a in arrays}
    if len(n) > 1:
        raise ValueError(f"{path}: columns of different lengths {sorted(n)}")
    return pa.Table.from_arrays(arrays, schema=sch)


def null_strings(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def codes_to_strings(values: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """Category codes (index into ``values``; -1 = null) to strings."""
    codes = np.asarray(codes)
    mask = codes < 0
    return pa.array(values).take(pa.array(np.where(mask, 0, codes), mask=mask))
