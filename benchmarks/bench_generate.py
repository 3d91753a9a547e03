"""Measure generator throughput: ``python benchmarks/bench_generate.py --scale 1 --days 365``.

Prints rows, wall seconds, CPU seconds and rows/s (wall and CPU; CPU is the fairer number
on a busy machine). Writes to a temporary folder unless --out is given.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from cskpi.generator import GenerateConfig, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--markets", default="RO,PL,HU,CZ,DE")
    parser.add_argument("--format", default="parquet", choices=("parquet", "csv"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cskpi-bench-") as tmp:
        config = GenerateConfig(out=args.out or Path(tmp), start=date(2024, 1, 1), days=args.days,
                                markets=tuple(args.markets.split(",")), scale=args.scale, format=args.format,
                                quiet=True)
        wall, cpu = time.perf_counter(), time.process_time()
        manifest = generate(config)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = manifest["total_rows"]
    print(f"scale={args.scale} days={args.days} markets={args.markets} format={args.format}")
    print(f"rows={rows:,} wall={wall:.2f}s cpu={cpu:.2f}s")
    print(f"rows/s wall={rows / wall:,.0f} cpu={rows / cpu:,.0f}")


if __name__ == "__main__":
    main()
