"""``cskpi build``: a plain ``dbt build`` of the warehouse with progress lines."""

from __future__ import annotations

import argparse
import json
import sys

from cskpi import paths
from cskpi.dbtrun import Progress, run_dbt


def build_args(select: str | None, full_refresh: bool, vars_json: str | None) -> list[str]:
    """dbt arguments for a warehouse build."""
    args = ["build"]
    if select:
        args += ["--select", select]
    if full_refresh:
        args.append("--full-refresh")
    if vars_json:
        json.loads(vars_json)  # fail early on malformed JSON
        args += ["--vars", vars_json]
    return args


def _run(args: argparse.Namespace) -> int:
    progress = Progress()
    ok = run_dbt(build_args(args.select, args.full_refresh, args.vars), callback=progress)
    verdict = "succeeded" if ok else "FAILED"
    print(f"dbt build {verdict}: {progress.finished} nodes; warehouse {paths.warehouse_path()}", file=sys.stderr)
    for name in progress.failures:
        print(f"  failed: {name}", file=sys.stderr)
    return 0 if ok else 1


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="build the warehouse with dbt (no orchestration)")
    p.add_argument("--select", help="dbt selection, e.g. 'staging+'")
    p.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    p.add_argument("--vars", help="dbt vars as JSON, e.g. '{\"fcr_window_days\": 3}'")
    p.set_defaults(func=_run)
