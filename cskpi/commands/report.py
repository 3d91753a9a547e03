"""``cskpi report``: the monthly KPI summary for people (text, markdown) and scripts (csv, json)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from cskpi import paths
from cskpi.report import report
from cskpi.report_formats import FORMATS


def _month(value: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise argparse.ArgumentTypeError(f"month must look like 2024-10, got {value!r}")
    return value


def default_database() -> Path:
    """The published serving copy when there is one: reading it never blocks a build."""
    serving = paths.serving_dir() / "current" / "cskpi.duckdb"
    return serving if serving.exists() else paths.warehouse_path()


def _run(args: argparse.Namespace) -> int:
    database = Path(args.database) if args.database else default_database()
    try:
        text = report(database, args.month, args.market, fmt=args.format, all_kpis=args.all_kpis)
    except (FileNotFoundError, LookupError) as exc:
        print(f"cskpi report: {exc}", file=sys.stderr)
        return 1
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # the reader (`| head`, `grep -m1`) stopped early: not an error; keep Python's exit flush quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="print the monthly KPI summary per market (text, markdown, csv or json)")
    p.add_argument("--market", help="only this market, e.g. PL")
    p.add_argument("--month", type=_month, help="month as YYYY-MM (default: the latest month)")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (terminal), markdown (e-mail, wiki), csv or json (scripts: raw and formatted values) [text]",
    )
    p.add_argument("--all-kpis", action="store_true", help="every KPI of the catalogue, not only the summary's")
    p.add_argument("--database", help="DuckDB file to read (default: the published serving copy, else the warehouse)")
    p.set_defaults(func=_run)
