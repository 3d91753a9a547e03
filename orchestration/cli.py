"""``cskpi run``: execute the nightly Dagster job once, in this process.

The same job the schedule launches (dbt build of seeds, models and tests, the data checks
included), without a Dagster daemon or UI, on the target of CSKPI_TARGET. Prints one line
per asset and check as they finish and a summary; the exit code is non-zero when a step
fails or an ERROR-severity check fails (WARN checks are reported but do not fail the run).
A clean run then publishes the target's marts (disabled on the spark target).

Exit codes: 0 ok, 1 run or check failed, 2 bad arguments, 3 warehouse locked.
"""

# The library (cskpi) never imports orchestration: this module plugs the command into the cskpi
# CLI through the `cskpi.commands` entry point of pyproject.toml, which cskpi.cli loads.

from __future__ import annotations

import argparse


def _run(args: argparse.Namespace) -> int:
    # Dagster is imported only when the command runs: every other cskpi command starts faster.
    from orchestration.runner import run

    return run(args)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run the nightly Dagster job once in process (dbt build with its tests and data checks, then publish)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--raw-dir", help="landing folder (default: $CSKPI_RAW_DIR or data/raw)")
    p.add_argument(
        "--warehouse", help="DuckDB file to build (default: $CSKPI_DUCKDB_PATH or data/warehouse/cskpi.duckdb)"
    )
    p.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    p.add_argument("--vars", default="", help="dbt vars as a JSON object, e.g. '{\"fcr_window_days\": 3}'")
    p.add_argument(
        "--lock-timeout",
        type=float,
        default=None,
        help="seconds to wait for another run holding the warehouse lock (default 0: refuse at once)",
    )
    p.add_argument("--no-publish", action="store_true", help="build and check only; leave the serving copy alone")
    p.add_argument("-v", "--verbose", action="store_true", help="also print Dagster's own log")
    p.set_defaults(func=_run)
