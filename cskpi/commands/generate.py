"""``cskpi generate``: write a realistic raw data set (see cskpi.generator)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from cskpi.generator import GenerateConfig, generate
from cskpi.generator.config import ConfigError
from cskpi.paths import raw_dir


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _markets(text: str) -> tuple[str, ...]:
    return tuple(m.strip().upper() for m in text.split(",") if m.strip())


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("generate", help="generate sample raw data",
                              description="Generate a realistic, deterministic raw data set for every contract table.")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder [data/raw of the project, or $CSKPI_RAW_DIR]")
    p.add_argument("--start", type=_date, default=date(2024, 1, 1), help="first day [2024-01-01]")
    p.add_argument("--days", type=int, default=365, help="number of days [365]")
    p.add_argument("--markets", type=_markets, default=("RO", "PL", "HU", "CZ", "DE"),
                   help="comma-separated market codes [RO,PL,HU,CZ,DE]")
    p.add_argument("--scale", type=float, default=1.0, help="volume multiplier [1.0]")
    p.add_argument("--seed", type=int, default=42, help="random seed [42]")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="file format [parquet]")
    p.add_argument("--dirt", type=float, default=0.003,
                   help="share of dirty rows per class and table, 0 = clean [0.003]")
    p.add_argument("--chunk-days", type=int, default=31, help="days per chunk and part file [31]")
    p.add_argument("--scenarios", type=Path, default=None, help="scenarios TOML file [built-in]")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = GenerateConfig(
        out=args.out if args.out is not None else raw_dir(), start=args.start, days=args.days,
        markets=args.markets, scale=args.scale, seed=args.seed,
        format=args.format, dirt=args.dirt, chunk_days=args.chunk_days, quiet=args.quiet, scenarios=args.scenarios,
    )
    began = time.perf_counter()
    try:
        manifest = generate(config)
    except ConfigError as exc:
        print(f"cskpi generate: error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        seconds = time.perf_counter() - began
        total = manifest["total_rows"]
        print(f"wrote {total:,} rows to {config.out} in {seconds:.1f} s ({total / max(seconds, 1e-9):,.0f} rows/s)",
              file=sys.stderr)
    return 0
