"""Benchmark: full warehouse build of one year of five markets at --scale 1.

Usage: .venv/bin/python benchmarks/bench_build.py [--scale 1.0] [--days 365] [--workdir /tmp/cskpi-bench]
Prints generation and build wall times; the figure goes into the README.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="1.0")
    parser.add_argument("--days", default="365")
    parser.add_argument("--workdir", default="/tmp/cskpi-bench")
    args = parser.parse_args()
    work = Path(args.workdir)
    raw = work / f"raw-s{args.scale}-d{args.days}"
    db = work / f"bench-s{args.scale}.duckdb"
    env = {**os.environ, "CSKPI_RAW_DIR": str(raw), "CSKPI_DUCKDB_PATH": str(db), "DBT_PROFILES_DIR": str(ROOT)}
    bin_dir = Path(sys.executable).parent
    results: dict[str, float | int] = {}
    if not (raw / "_manifest.json").exists():
        t0 = time.perf_counter()
        subprocess.run(
            [
                bin_dir / "cskpi",
                "generate",
                "--out",
                raw,
                "--start",
                "2024-01-01",
                "--days",
                args.days,
                "--scale",
                args.scale,
                "--quiet",
            ],
            check=True,
            env=env,
        )
        results["generate_seconds"] = round(time.perf_counter() - t0, 1)
    manifest = json.loads((raw / "_manifest.json").read_text())
    results["raw_rows"] = sum(manifest.get("row_counts", {}).values()) if "row_counts" in manifest else 0
    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    subprocess.run([bin_dir / "dbt", "build", "--quiet", "--project-dir", ROOT], check=True, env=env, cwd=ROOT)
    results["full_build_seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
