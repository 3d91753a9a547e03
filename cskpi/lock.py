"""Process-level file locks: the DuckDB warehouse and the serving folder.

DuckDB allows one writer per file, and a half-finished ``dbt build`` racing a
second one would leave readers with a mix of two runs. The Dagster run queue
already serialises runs launched through the daemon (see ``dagster.yaml``); this
lock also covers in-process runs (``cskpi run``, tests, ``dagster asset
materialize``) that never go through the queue.

The lock is an ``fcntl.flock`` on ``<warehouse>.lock``: the kernel releases it
when the holder dies, so a crashed run never leaves a stale lock behind. The
file also records who holds it, so a refused caller can say whom it waited for.
The lock is re-entrant within one process (``cskpi run`` holds it for the whole
run while the dbt asset and the checks take it again). The same lock on
``<serving>/.publish.lock`` serialises publishes (:func:`publish_lock`).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO

__all__ = [
    "FileLock",
    "LockHolder",
    "WarehouseLock",
    "WarehouseLockBusy",
    "lock_path_for",
    "publish_lock",
    "read_holder",
    "warehouse_held_message",
]


class WarehouseLockBusy(RuntimeError):
    """Another process holds the warehouse lock (and the timeout, if any, expired)."""

    def __init__(self, path: Path, holder: LockHolder | None, waited: float) -> None:
        self.path = path
        self.holder = holder
        self.waited = waited
        who = holder.describe() if holder else "holder unknown"
        waited_txt = f" after waiting {waited:.0f}s" if waited > 0 else ""
        serving = path.name == PUBLISH_LOCK
        what = "another publish holds the serving lock" if serving else "another run holds the warehouse lock"
        super().__init__(f"{what} ({who}){waited_txt}; lock file: {path}")


@dataclass(frozen=True)
class LockHolder:
    pid: int
    started_at: str
    host: str = ""
    purpose: str = ""

    def describe(self) -> str:
        extra = f", {self.purpose}" if self.purpose else ""
        return f"pid {self.pid}, started at {self.started_at}{extra}"


PUBLISH_LOCK = ".publish.lock"
# DuckDB's own message when another process has a database file open (a process that is not a
# cskpi run, or a dying one: cskpi runs take the warehouse lock before DuckDB's).
_DUCKDB_HELD = re.compile(r'Could not set lock on file "([^"]+)": Conflicting lock is held in (\S+) \(PID (\d+)\)')
WAREHOUSE_HELD = "is held by another process"


def warehouse_held_message(error_text: str) -> str | None:
    """One line naming the process that holds a DuckDB file, when that is what ``error_text`` says."""
    match = _DUCKDB_HELD.search(error_text)
    if match is None:
        return None
    path, program, pid = match.groups()
    return f"the DuckDB file {path} {WAREHOUSE_HELD} (PID {pid}, {program}); let it finish or stop it, then retry"


def lock_path_for(warehouse: Path) -> Path:
    """The lock file that guards ``warehouse`` (next to it, so it follows the file)."""
    return warehouse.with_name(warehouse.name + ".lock")


def read_holder(lock_path: Path) -> LockHolder | None:
    """Who holds (or last held) the lock, from the record the holder wrote."""
    try:
        data = json.loads(lock_path.read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or "pid" not in data:
        return None
    return LockHolder(
        pid=int(data["pid"]),
        started_at=str(data.get("started_at", "?")),
        host=str(data.get("host", "")),
        purpose=str(data.get("purpose", "")),
    )


# Re-entrancy bookkeeping: flock conflicts between two descriptors even inside one
# process, so a nested acquire must reuse the outer one instead of opening again.
_held: dict[Path, tuple[IO[str], int, bool]] = {}  # path -> (handle, depth, shared)
_held_guard = threading.Lock()


class FileLock:
    """``with FileLock(lock_file, timeout=30): ...`` -- re-entrant, crash-safe.

    Writers take it exclusively; ``shared=True`` is for read-only users (the asset
    checks, which may run in parallel processes): readers exclude writers, not each
    other. ``timeout=0`` refuses at once when the lock is taken; a positive timeout
    waits up to that many seconds, polling every ``poll_interval``.
    """

    def __init__(
        self,
        lock_file: Path,
        *,
        timeout: float = 0.0,
        poll_interval: float = 0.2,
        purpose: str = "",
        shared: bool = False,
    ) -> None:
        self.shared = shared
        self.path = Path(lock_file).resolve()
        self.timeout = max(0.0, timeout)
        self.poll_interval = poll_interval
        self.purpose = purpose
        self._acquired = False

    @property
    def held_by_this_process(self) -> bool:
        with _held_guard:
            return self.path in _held

    def acquire(self) -> None:
        with _held_guard:
            if self.path in _held:
                handle, depth, held_shared = _held[self.path]
                if held_shared and not self.shared:
                    raise RuntimeError(f"cannot upgrade a shared warehouse lock to exclusive: {self.path}")
                _held[self.path] = (handle, depth + 1, held_shared)
                self._acquired = True
                return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # "a" never truncates: a waiting process must not wipe the holder's record.
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - kept open while held
        started = time.monotonic()
        while True:
            try:
                mode = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
                fcntl.flock(handle.fileno(), mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= self.timeout:
                    handle.close()
                    raise WarehouseLockBusy(self.path, read_holder(self.path), waited) from None
                time.sleep(min(self.poll_interval, max(0.01, self.timeout - waited)))
        if self.shared:
            # Readers leave the record alone: it names the last writer, the one that matters.
            with _held_guard:
                _held[self.path] = (handle, 1, True)
            self._acquired = True
            return
        record = {
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": socket.gethostname(),
            "purpose": self.purpose,
        }
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(record))
        handle.flush()
        with _held_guard:
            _held[self.path] = (handle, 1, False)
        self._acquired = True

    def release(self) -> None:
        if not self._acquired:
            return
        self._acquired = False
        with _held_guard:
            handle, depth, held_shared = _held[self.path]
            if depth > 1:
                _held[self.path] = (handle, depth - 1, held_shared)
                return
            del _held[self.path]
        # The record stays in the file on purpose: it documents the last holder.
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class WarehouseLock(FileLock):
    """The lock on a DuckDB warehouse file (``<warehouse>.lock``)."""

    def __init__(
        self,
        warehouse: Path,
        *,
        timeout: float = 0.0,
        poll_interval: float = 0.2,
        purpose: str = "",
        shared: bool = False,
    ) -> None:
        self.warehouse = Path(warehouse)
        super().__init__(
            lock_path_for(self.warehouse), timeout=timeout, poll_interval=poll_interval, purpose=purpose, shared=shared
        )


def publish_lock(serving: Path, timeout: float) -> FileLock:
    """Exclusive lock of a serving folder: one publish or rollback at a time, whoever starts it."""
    return FileLock(Path(serving) / PUBLISH_LOCK, timeout=timeout, purpose="publish")
