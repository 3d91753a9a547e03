"""``cskpi``: the one command-line entry point of the project.

Each sub-command lives in its own module under ``cskpi.commands`` and registers
itself through ``add_parser``; this module only wires them together. Commands of other
packages plug in through the ``cskpi.commands`` entry point group (the orchestration's
``run``, see pyproject.toml), so this library never imports them.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import traceback
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

import duckdb

from cskpi.lock import WarehouseLockBusy, warehouse_held_message

# Module names under cskpi.commands; each defines add_parser(subparsers).
COMMANDS: tuple[str, ...] = ("generate", "check_landing", "build", "publish", "report", "load", "holidays")
PLUGIN_GROUP = "cskpi.commands"
# Order of the commands in --help; plugged-in commands not named here come last.
HELP_ORDER: tuple[str, ...] = ("generate", "check-landing", "build", "run", "publish", "report", "load", "holidays")

AddParser = Callable[[argparse._SubParsersAction], None]

# Failures a user can act on (a missing or unreadable file, a busy or broken database, a bad
# setting): one line naming the command, exit 1 (3 when another process holds the warehouse);
# -v adds the traceback. Anything else is a bug and keeps Python's traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    duckdb.Error,
    ValueError,
    LookupError,
    RuntimeError,
    subprocess.SubprocessError,
)
EXIT_FAILED, EXIT_BUSY, EXIT_INTERRUPTED = 1, 3, 130


def _registrars() -> dict[str, AddParser]:
    found: dict[str, AddParser] = {
        name: importlib.import_module(f"cskpi.commands.{name}").add_parser for name in COMMANDS
    }
    for entry in entry_points(group=PLUGIN_GROUP):
        found.setdefault(entry.name, entry.load())
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cskpi",
        description="Customer-service KPI warehouse: generate sample data, build and publish the KPI marts.",
    )
    parser.add_argument(
        "-v", "--traceback", action="store_true", help="show the Python traceback of an error (for bug reports)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    registrars = _registrars()
    for name in sorted(registrars, key=lambda n: (HELP_ORDER.index(n) if n in HELP_ORDER else len(HELP_ORDER), n)):
        registrars[name](sub)
    return parser


def _busy(exc: BaseException) -> bool:
    return isinstance(exc, WarehouseLockBusy) or warehouse_held_message(str(exc)) is not None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"cskpi {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except USER_ERRORS as exc:
        if args.traceback:
            traceback.print_exc()
        first_line = warehouse_held_message(str(exc)) or (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        hint = "" if args.traceback else " (cskpi -v shows the traceback)"
        print(f"cskpi {args.command}: {type(exc).__name__}: {first_line}{hint}", file=sys.stderr)
        return EXIT_BUSY if _busy(exc) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
