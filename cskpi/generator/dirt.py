"""Dirty data added on top of clean rows (docs/quality.md): re-exports, late updates, invalid rows.

Every class gets about ``rate`` x clean rows of its table (where it applies). Invalid rows
are copies of clean rows with a fresh key and one defect, so the clean data stays intact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cskpi import contract
from cskpi.generator import calendar as cal
from cskpi.generator.ids import Counters, dirt_ids, orphan_ids

CLASSES = ("duplicate", "late_update", "null_key", "unknown_market", "negative_duration", "end_before_start",
           "score_out_of_range", "orphan_reference", "future_timestamp")


@dataclass(frozen=True)
class Spec:
    entity: str | None  # key entity for new keys; None for the composite key of costs
    market: bool = False
    negative: tuple[str, ...] = ()
    end_before_start: tuple[str, str] | None = None
    score: tuple[str, tuple[int, ...]] | None = None
    orphan: tuple[str, str, str | None] | None = None  # column, entity, column to null
    future: str | None = None
    late: str | None = None


SPECS: dict[str, Spec] = {
    "helpdesk/tickets": Spec("ticket", True, end_before_start=("created_at", "solved_at"),
                             orphan=("customer_id", "customer", None), future="created_at", late="tickets"),
    "helpdesk/ticket_events": Spec("event", orphan=("ticket_id", "ticket", None), future="event_at"),
    "helpdesk/satisfaction_ratings": Spec("rating", score=("score", (0, 6, 9)), orphan=("call_id", "call", "ticket_id"),
                                          future="rated_at"),
    "telephony/calls": Spec("call", True, negative=("talk_seconds", "queue_seconds"),
                            end_before_start=("started_at", "ended_at"), future="started_at"),
    "shop/orders": Spec("order", True, end_before_start=("ordered_at", "updated_at"),
                        orphan=("customer_id", "customer", None), future="ordered_at", late="orders"),
    "shop/customers": Spec("customer", True, future="created_at"),
    "workforce/agents": Spec("agent", True, end_before_start=("hired_on", "left_on"), late="agents"),
    "workforce/employee_surveys": Spec("esurvey", score=("score", (0, 6)), orphan=("agent_id", "agent", None)),
    "finance/operating_costs": Spec(None, True),
    "surveys/nps_responses": Spec("nps", True, score=("score", (11, -1)), orphan=("customer_id", "customer", None),
                                  future="responded_at"),
    "surveys/ces_responses": Spec("ces", score=("score", (0, 8)), orphan=("ticket_id", "ticket", "call_id"),
                                  future="responded_at"),
}


def applicable(path: str) -> tuple[str, ...]:
    s = SPECS[path]
    flags = {
        "duplicate": True, "late_update": s.late is not None, "null_key": True, "unknown_market": s.market,
        "negative_duration": bool(s.negative), "end_before_start": s.end_before_start is not None,
        "score_out_of_range": s.score is not None, "orphan_reference": s.orphan is not None,
        "future_timestamp": s.future is not None,
    }
    return tuple(c for c in CLASSES if flags[c])


def _secs(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Timestamp column as int64 seconds (nulls as 0)."""
    return (pc.fill_null(col.cast(pa.int64()), 0).to_numpy() // 1_000_000).astype(np.int64)


def _days(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return pc.fill_null(col.cast(pa.int32()), 0).to_numpy().astype(np.int64)


def _ts(seconds: np.ndarray) -> pa.Array:
    return pa.array(seconds * 1_000_000, pa.int64()).cast(pa.timestamp("us"))


def _set(tbl: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    i = tbl.schema.get_field_index(name)
    return tbl.set_column(i, tbl.schema.field(i), values.cast(tbl.schema.field(i).type))


def _late_tickets(rows: pa.Table, rng: np.random.Generator) -> pa.Table:
    created, updated = _secs(rows["created_at"]), _secs(rows["updated_at"])
    earlier = created + ((updated - created) * rng.uniform(0.05, 0.4, rows.num_rows)).astype(np.int64)
    rows = _set(rows, "status", pa.array(["open"] * rows.num_rows))
    rows = _set(rows, "solved_at", pa.nulls(rows.num_rows, pa.timestamp("us")))
    rows = _set(rows, "updated_at", _ts(earlier))
    return _set(rows, "_loaded_at", _ts(cal.load_time(earlier, 0)))


_PREVIOUS_ORDER_STATUS = {"shipped": "placed", "delivered": "shipped", "returned": "delivered", "cancelled": "placed"}


def _late_orders(rows: pa.Table, rng: np.random.Generator) -> pa.Table:
    ordered, updated = _secs(rows["ordered_at"]), _secs(rows["updated_at"])
    earlier = ordered + ((updated - ordered) * rng.uniform(0.1, 0.6, rows.num_rows)).astype(np.int64)
    status = [_PREVIOUS_ORDER_STATUS[s] for s in rows["status"].to_pylist()]
    rows = _set(rows, "status", pa.array(status))
    rows = _set(rows, "updated_at", _ts(earlier))
    return _set(rows, "_loaded_at", _ts(cal.load_time(earlier, 2)))


def _late_agents(rows: pa.Table, rng: np.random.Generator) -> pa.Table:
    hired = _days(rows["hired_on"])
    rows = _set(rows, "left_on", pa.nulls(rows.num_rows, pa.date32()))
    return _set(rows, "_loaded_at", _ts(cal.load_time(hired * cal.DAY, 3)))


# table kind -> (rows that ever changed, earlier snapshot of them)
_LATE: dict[str, tuple[Callable[[pa.Table], np.ndarray], Callable[[pa.Table, np.random.Generator], pa.Table]]] = {
    "tickets": (lambda t: pc.is_in(t["status"], pa.array(["solved", "closed"])).to_numpy(zero_copy_only=False),
                _late_tickets),
    "orders": (lambda t: pc.is_in(t["status"], pa.array(list(_PREVIOUS_ORDER_STATUS))).to_numpy(
        zero_copy_only=False), _late_orders),
    "agents": (lambda t: pc.is_valid(t["left_on"]).to_numpy(zero_copy_only=False), _late_agents),
}


def add_dirt(path: str, clean: pa.Table, rate: float, rng: np.random.Generator,
             counters: Counters) -> tuple[pa.Table, dict[str, int]]:
    """Dirty rows for a chunk of ``clean`` rows and their count per class."""
    spec = SPECS[path]
    n = clean.num_rows
    counts: dict[str, int] = {}
    extra: list[pa.Table] = []
    for cls in applicable(path):
        k = int(rng.binomial(n, rate)) if n and rate > 0 else 0
        if cls == "late_update" and k:
            assert spec.late is not None
            eligible_fn, snapshot = _LATE[spec.late]
            eligible = np.flatnonzero(eligible_fn(clean))
            idx = np.sort(rng.choice(eligible, size=min(k, len(eligible)), replace=False))
            rows = snapshot(clean.take(pa.array(idx, pa.int64())), rng)
            earlier = _secs(rows["_loaded_at"]) < _secs(clean["_loaded_at"].take(pa.array(idx, pa.int64())))
            rows = rows.filter(pa.array(earlier))
            k = rows.num_rows
        elif k:
            rows = clean.take(pa.array(np.sort(rng.choice(n, size=k, replace=False)), pa.int64()))
            rows = _corrupt(cls, path, spec, rows, rng, counters)
        counts[cls] = k
        if k:
            extra.append(rows)
    if not extra:
        return clean.schema.empty_table(), counts
    return pa.concat_tables(extra), counts


def _corrupt(cls: str, path: str, spec: Spec, rows: pa.Table, rng: np.random.Generator,
             counters: Counters) -> pa.Table:
    k = rows.num_rows
    key = contract.table(path).primary_key[0]
    if cls == "duplicate":  # the same record re-exported by a later nightly load
        return _set(rows, "_loaded_at", _ts(_secs(rows["_loaded_at"]) + rng.integers(1, 11, k) * cal.DAY))
    if cls == "null_key":
        return _set(rows, key, pa.nulls(k, rows.schema.field(key).type))
    if spec.entity is not None:  # every other invalid row gets a key of its own
        rows = _set(rows, key, dirt_ids(spec.entity, counters.take(f"dirt:{spec.entity}", k)))
    if cls == "unknown_market":
        return _set(rows, "market_code", pa.array(["XX"] * k))
    if cls == "negative_duration":
        col = spec.negative[0] if rng.random() < 0.5 else spec.negative[-1]
        values = pc.fill_null(rows[col], 0).to_numpy()
        return _set(rows, col, pa.array(-(np.abs(values) + rng.integers(1, 300, k)), pa.int32()))
    if cls == "end_before_start":
        assert spec.end_before_start is not None
        start, end = spec.end_before_start
        if pa.types.is_date32(rows.schema.field(start).type):
            return _set(rows, end, pa.array((_days(rows[start]) - rng.integers(1, 100, k)).astype(np.int32))
                        .cast(pa.date32()))
        return _set(rows, end, _ts(_secs(rows[start]) - rng.integers(60, 3 * cal.DAY, k)))
    if cls == "score_out_of_range":
        assert spec.score is not None
        col, bad = spec.score
        return _set(rows, col, pa.array(rng.choice(np.array(bad), k), pa.int32()))
    if cls == "orphan_reference":
        assert spec.orphan is not None
        col, entity, other = spec.orphan
        rows = _set(rows, col, orphan_ids(entity, counters.take(f"orphan:{entity}", k)))
        return _set(rows, other, pa.nulls(k, pa.string())) if other else rows
    if cls == "future_timestamp":
        assert spec.future is not None
        # Shift the whole record so it stays internally consistent, only later than its load.
        delta = _secs(rows["_loaded_at"]) + rng.integers(2 * cal.DAY, 30 * cal.DAY, k) - _secs(rows[spec.future])
        for field in rows.schema:
            if pa.types.is_timestamp(field.type) and field.name != "_loaded_at":
                col = rows[field.name]
                shifted = _ts(_secs(col) + delta)
                rows = _set(rows, field.name, pc.if_else(pc.is_valid(col), shifted, pa.nulls(k, field.type)))
        return rows
    raise ValueError(f"unknown dirt class {cls}")
