"""``cskpi``: the one command-line entry point of the project.

Each sub-command lives in its own module under ``cskpi.commands`` and registers
itself through ``add_parser``; this module only wires them together. Commands of other
packages plug in through the ``cskpi.commands`` entry point group (the orchestration's
``run``, see pyproject.toml), so this library never imports them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

# Module names under cskpi.commands; each defines add_parser(subparsers).
COMMANDS: tuple[str, ...] = ("generate", "check_landing", "build", "publish", "report", "load")
PLUGIN_GROUP = "cskpi.commands"
# Order of the commands in --help; plugged-in commands not named here come last.
HELP_ORDER: tuple[str, ...] = ("generate", "check-landing", "build", "run", "publish", "report", "load")

AddParser = Callable[[argparse._SubParsersAction], None]


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
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    registrars = _registrars()
    for name in sorted(registrars, key=lambda n: (HELP_ORDER.index(n) if n in HELP_ORDER else len(HELP_ORDER), n)):
        registrars[name](sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
