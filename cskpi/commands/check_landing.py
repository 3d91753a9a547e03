"""``cskpi check-landing``: report what a landing folder holds and what a run on it would hit.

Nothing is built: DuckDB reads the files (cskpi/landing_check.py). Exit code 1 only when a
run would stop (an ERROR line), 0 otherwise, warnings included.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cskpi import kpis, paths
from cskpi.landing_check import check_landing, render


def _run(args: argparse.Namespace) -> int:
    raw_dir = Path(args.raw_dir) if args.raw_dir else paths.raw_dir()
    report = check_landing(raw_dir, paths.project_dir(), kpis.catalogue())
    sys.stdout.write(render(report))
    return 1 if report.errors else 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check-landing",
        help="check a landing folder (tables, rows, time ranges, markets, FX rates, null KPIs) without building",
    )
    p.add_argument("--raw-dir", help="landing folder (default: CSKPI_RAW_DIR or data/raw)")
    p.set_defaults(func=_run)
