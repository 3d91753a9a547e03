"""``cskpi build``: a plain ``dbt build`` of the warehouse with progress lines."""

from __future__ import annotations

import argparse
import sys

from cskpi import pii, targets
from cskpi.dbt_args import dbt_build_args, parse_vars
from cskpi.dbtrun import Progress, run_dbt
from cskpi.partial import describe_absent


def _run(args: argparse.Namespace) -> int:
    try:
        dbt_args = dbt_build_args(select=args.select, full_refresh=args.full_refresh, vars=parse_vars(args.vars))
        pii.check_salt()
    except ValueError as exc:
        print(f"cskpi build: {exc}", file=sys.stderr)
        return 2
    progress = Progress()
    ok = run_dbt(dbt_args, callback=progress)
    verdict = "succeeded" if ok else "FAILED"
    print(
        f"dbt build {verdict}: {progress.finished} nodes; warehouse {targets.describe_warehouse()}", file=sys.stderr
    )
    partial = describe_absent(progress.absent_tables)
    if partial:
        # absent tables read as empty; the KPIs that need them are null (README, own data)
        print(f"  {partial}", file=sys.stderr)
    for name in progress.failures:
        print(f"  failed: {name}", file=sys.stderr)
    return 0 if ok else 1


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="build the warehouse with dbt (no orchestration)")
    p.add_argument("--select", help="dbt selection, e.g. 'staging+'")
    p.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    p.add_argument("--vars", help="dbt vars as JSON, e.g. '{\"fcr_window_days\": 3}'")
    p.set_defaults(func=_run)
