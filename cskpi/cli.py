"""``cskpi``: the one command-line entry point of the project.

Each sub-command lives in its own module under ``cskpi.commands`` and registers
itself through ``add_parser``; this module only wires them together.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Module names under cskpi.commands; each defines add_parser(subparsers).
COMMANDS: tuple[str, ...] = ("generate", "build", "run", "publish", "report", "load")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cskpi",
        description="Customer-service KPI warehouse: generate sample data, build and publish the KPI marts.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"cskpi.commands.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
