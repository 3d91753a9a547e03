"""A tiny progress sink so ``cskpi run`` can print one line per asset and check as it happens.

Dagster's own console logger is far too chatty for a terminal user; the assets and
checks report here as well as to ``context.log``. The sink is a no-op unless a
caller (the CLI) installs a listener, so runs under ``dagster dev`` are unaffected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressEvent:
    kind: str  # "asset", "check", "step"
    name: str
    status: str  # "materialized", "passed", "failed", "warn", "started", "skipped", "error"
    detail: str = ""


Listener = Callable[[ProgressEvent], None]
_listeners: list[Listener] = []


def add_listener(listener: Listener) -> None:
    _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def report(kind: str, name: str, status: str, detail: str = "") -> None:
    event = ProgressEvent(kind, name, status, detail)
    for listener in list(_listeners):
        listener(event)
