"""String identifiers (prefix + zero-padded number) and the counters that hand them out."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# prefix, digits per entity
KEYS: dict[str, tuple[str, int]] = {
    "customer": ("C", 7),
    "order": ("O", 8),
    "ticket": ("T", 8),
    "event": ("E", 9),
    "call": ("K", 8),
    "rating": ("R", 8),
    "agent": ("A", 4),
    "nps": ("N", 8),
    "ces": ("S", 8),
    "esurvey": ("W", 7),
}


def format_ids(entity: str, numbers: np.ndarray, lead: str = "") -> pa.Array:
    """``prefix + lead + zero-padded number``; -1 becomes null."""
    prefix, width = KEYS[entity]
    nums = np.asarray(numbers, dtype=np.int64)
    valid = nums >= 0
    nums = np.where(valid, nums, 0)
    if len(nums) and nums.max() >= 10**width:  # wider than planned: slower general path
        text = pc.utf8_lpad(pa.array(nums).cast(pa.string()), width, "0")
        text = pc.binary_join_element_wise(prefix + lead, text, "")
        return text if valid.all() else pc.if_else(pa.array(valid), text, pa.scalar(None, pa.string()))
    # Fixed width: write the ASCII digits straight into an Arrow string buffer (hot path).
    head = np.frombuffer((prefix + lead).encode(), dtype=np.uint8)
    size = len(head) + width
    chars = np.empty((len(nums), size), dtype=np.uint8)
    chars[:, : len(head)] = head
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    chars[:, len(head):] = (nums[:, None] // powers) % 10 + 48
    offsets = np.arange(len(nums) + 1, dtype=np.int32) * size
    validity = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.StringArray.from_buffers(len(nums), pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()), validity)


def dirt_ids(entity: str, numbers: np.ndarray) -> pa.Array:
    """Keys of invented invalid rows: one digit longer than clean keys, so never colliding."""
    return format_ids(entity, numbers, lead="9")


def orphan_ids(entity: str, numbers: np.ndarray) -> pa.Array:
    """References to records that do not exist."""
    return format_ids(entity, numbers, lead="8")


class Counters:
    """Sequential numbers per entity, shared by all markets and chunks of one run."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, entity: str, n: int) -> np.ndarray:
        start = self._next.get(entity, 1)
        self._next[entity] = start + n
        return np.arange(start, start + n, dtype=np.int64)
