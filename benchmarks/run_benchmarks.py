"""Benchmark the warehouse build at sizes S (~1M raw rows), M (~10M) and L (~100M).

Usage (from the repo root):

    .venv/bin/python benchmarks/run_benchmarks.py --sizes S,M [--workdir data/bench]

Per size it measures wall time and peak memory (max RSS of the child process, /usr/bin/time)
of these steps, each in its own process:

  generate   `cskpi generate` of 365 days, 5 markets at the size's --scale (skipped, and
             reported as reused, when the data set already exists; --regenerate forces it)
  baseline   benchmarks/baseline_monthly_kpis.sql: one hand-written DuckDB script computing the
             monthly KPI table straight from the landing files (the engine's floor)
  full           `dbt build --resource-type seed --resource-type model` into an empty warehouse
  full_tests     `dbt test --exclude-resource-type unit_test` (data tests; failures are counted)
  nightly        the same models build after one more night of landing data (incremental)
  nightly_tests  the data tests again
  rerun          the same night again (idempotent re-run, models)

The landing folder holds every row loaded before the last nightly load of the generated set
(part-base.parquet per table); the nightly step adds that last load (part-night.parquet).
Baseline and full build read the same landing set. dbt's run_results.json gives the split
between model and test time. Results: a table on stdout and benchmarks/results/<size>.json.
Unit tests are excluded (they do not depend on the data; CI runs them).

Large sizes: set CSKPI_DUCKDB_MEMORY_LIMIT (e.g. 12GB) and CSKPI_DUCKDB_TEMP_DIR (spill folder);
the baseline uses the same settings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from cskpi import contract

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SIZES = {"S": 1.0, "M": 10.0, "L": 100.0}
# every raw table of the contract
TABLES = tuple(t.path for t in contract.TABLES)
# Models (and seeds) in one invocation, data tests in another: a failing test must not skip
# models (on a partial landing set a relationships test can fail, e.g. an agent row that is
# exported only when the agent leaves).
DBT_MODELS = ["build", "--resource-type", "seed", "--resource-type", "model"]
DBT_TESTS = ["test", "--exclude-resource-type", "unit_test"]


def measure(cmd: list[str], env: dict[str, str], log: Path, check: bool = True) -> dict[str, float]:
    """Run cmd under /usr/bin/time; wall seconds and peak RSS (MiB) of the child."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf, log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", tf.name, *cmd], env=env, cwd=ROOT, stdout=out, stderr=out
        )
        wall = time.perf_counter() - t0
        text = Path(tf.name).read_text().strip().splitlines()
    if check and proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}; see {log}")
    return {"seconds": round(wall, 1), "peak_rss_mib": round(int(text[-1]) / 1024, 0)}


def split_landing(raw: Path, landing: Path) -> dict[str, object]:
    """Landing = rows loaded before the last nightly load; returns the night's bounds and row counts."""
    con = duckdb.connect()
    # The last regular nightly load (not the trickle of late duplicates after the end), minus one
    # day: the last load of the generated set also flushes every open ticket, not a typical night.
    night = con.execute(
        f"""
        with loads as (
            select cast(_loaded_at as date) as d, count(*) as n
            from read_parquet('{raw}/helpdesk/tickets/*.parquet') group by 1
        )
        select max(d) - interval 1 day from loads where n >= (select sum(n) / count(*) / 10 from loads)
        """
    ).fetchone()[0]
    night = night.date() if hasattr(night, "date") else night
    shutil.rmtree(landing, ignore_errors=True)
    base_rows = night_rows = 0
    for table in TABLES:
        (landing / table).mkdir(parents=True)
        src = f"read_parquet('{raw}/{table}/*.parquet', union_by_name = true)"
        con.execute(
            f"copy (select * from {src} where _loaded_at < date '{night}' or _loaded_at is null) "
            f"to '{landing}/{table}/part-base.parquet' (format parquet)"
        )
        con.execute(
            f"copy (select * from {src} where _loaded_at >= date '{night}' "
            f"and _loaded_at < date '{night}' + interval 1 day) "
            f"to '{landing}/{table}/night.parquet.pending' (format parquet)"
        )
        base_rows += con.execute(
            f"select count(*) from read_parquet('{landing}/{table}/part-base.parquet')"
        ).fetchone()[0]
        night_rows += con.execute(
            f"select count(*) from read_parquet('{landing}/{table}/night.parquet.pending')"
        ).fetchone()[0]
    con.close()
    return {"night": str(night), "landing_rows": base_rows, "night_rows": night_rows}


def land_night(landing: Path) -> None:
    for table in TABLES:
        (landing / table / "night.parquet.pending").rename(landing / table / "part-night.parquet")


def dbt_step_split(target: Path) -> dict[str, float]:
    """Seconds spent in models and in data tests (sum of node times, not wall)."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    split = {"model_node_seconds": 0.0, "test_node_seconds": 0.0, "kpi_model_seconds": 0.0, "nodes": 0}
    split["failed"] = sum(1 for r in results if r["status"] in ("fail", "error", "skipped"))
    for r in results:
        key = "model_node_seconds" if r["unique_id"].startswith(("model.", "seed.")) else "test_node_seconds"
        split[key] += r.get("execution_time") or 0.0
        split["nodes"] += 1
        if r["unique_id"].split(".")[-1].startswith(("kpi_", "int_kpi__")):
            split["kpi_model_seconds"] += r.get("execution_time") or 0.0
    return {k: round(v, 1) for k, v in split.items()}


def run_size(size: str, workdir: Path, regenerate: bool) -> dict[str, object]:
    scale = SIZES[size]
    raw = workdir / f"raw-{size}"
    landing = workdir / f"landing-{size}"
    db_dir = workdir / f"warehouse-{size}"
    target = workdir / f"target-{size}"
    log = workdir / f"bench-{size}.log"
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(ROOT),
        "CSKPI_RAW_DIR": str(landing),
        "CSKPI_DUCKDB_PATH": str(db_dir / "cskpi.duckdb"),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(workdir / f"logs-{size}"),
        "CSKPI_DUCKDB_TEMP_DIR": os.environ.get("CSKPI_DUCKDB_TEMP_DIR", str(workdir / "duckdb_tmp")),
    }
    result: dict[str, object] = {"size": size, "scale": scale, "days": 365, "markets": "RO,PL,HU,CZ,DE"}
    if regenerate or not (raw / "_manifest.json").exists():
        shutil.rmtree(raw, ignore_errors=True)
        cmd = [str(BIN / "cskpi"), "generate", "--out", str(raw), "--start", "2024-01-01", "--days", "365"]
        result["generate"] = measure([*cmd, "--scale", str(scale), "--quiet"], env, log)
    else:
        result["generate"] = "reused"
    result["raw_rows"] = json.loads((raw / "_manifest.json").read_text())["total_rows"]
    result.update(split_landing(raw, landing))

    sql = (ROOT / "benchmarks" / "baseline_monthly_kpis.sql").read_text()
    sql = sql.replace("{raw}", str(landing)).replace("{seeds}", str(ROOT / "seeds"))
    sql_file = workdir / f"baseline-{size}.sql"
    sql_file.write_text(sql)
    baseline_db = workdir / f"baseline-{size}.duckdb"
    baseline_db.unlink(missing_ok=True)
    settings = (
        f"set memory_limit='{os.environ.get('CSKPI_DUCKDB_MEMORY_LIMIT', '8GB')}'; "
        f"set temp_directory='{env['CSKPI_DUCKDB_TEMP_DIR']}'; set threads={os.environ.get('CSKPI_THREADS', '2')};"
    )
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]); con.execute(sys.argv[2]); "
        "con.execute(open(sys.argv[3]).read()); "
        "print(con.execute('select count(*) from baseline_monthly_kpis').fetchone()[0])"
    )
    result["baseline"] = measure([sys.executable, "-c", code, str(baseline_db), settings, str(sql_file)], env, log)

    shutil.rmtree(db_dir, ignore_errors=True)
    db_dir.mkdir(parents=True)
    dbt = str(BIN / "dbt")
    out = ROOT / "benchmarks" / "results" / f"{size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    steps = [
        ("full", DBT_MODELS, True),
        ("full_tests", DBT_TESTS, False),
        ("nightly", DBT_MODELS, True),
        ("nightly_tests", DBT_TESTS, False),
        ("rerun", DBT_MODELS, True),
    ]
    for step, args, check in steps:
        if step == "nightly":
            land_night(landing)
        result[step] = {**measure([dbt, *args], env, log, check=check), **dbt_step_split(target)}
        out.write_text(json.dumps(result, indent=2) + "\n")  # partial results survive an interrupted run
    s = {k: v["seconds"] for k, v in result.items() if isinstance(v, dict) and "seconds" in v}
    result["ratios"] = {
        "full_over_baseline": round(s["full"] / s["baseline"], 2),
        "nightly_over_full": round(s["nightly"] / s["full"], 3),
        "nightly_over_full_with_tests": round((s["nightly"] + s["nightly_tests"]) / (s["full"] + s["full_tests"]), 3),
        "rerun_over_full": round(s["rerun"] / s["full"], 3),
    }
    result["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "loadavg_at_end": [round(x, 1) for x in os.getloadavg()],
        "memory_limit": os.environ.get("CSKPI_DUCKDB_MEMORY_LIMIT", "8GB"),
    }
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def _fmt(step: object) -> tuple[str, str]:
    if not isinstance(step, dict):
        return str(step), "-"
    return f"{step['seconds']:.1f}", f"{step['peak_rss_mib']:.0f}"


def print_table(results: list[dict[str, object]]) -> None:
    print(f"{'size':<5}{'raw rows':>13}  {'step':<14}{'wall s':>9}{'peak MiB':>10}  note")
    for r in results:
        for step in ("generate", "baseline", "full", "full_tests", "nightly", "nightly_tests", "rerun"):
            wall, mem = _fmt(r[step])
            note = ""
            if isinstance(r[step], dict) and "model_node_seconds" in r[step]:  # type: ignore[operator]
                s = r[step]
                note = (
                    f"{s['nodes']} nodes: models {s['model_node_seconds']}s "  # type: ignore[index]
                    f"(KPI marts {s['kpi_model_seconds']}s), tests {s['test_node_seconds']}s, "  # type: ignore[index]
                    f"failed/skipped {s['failed']}"  # type: ignore[index]
                )
            print(f"{r['size']:<5}{r['raw_rows']:>13,}  {step:<14}{wall:>9}{mem:>10}  {note}")
        print(f"{'':<20}ratios: {r['ratios']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="S,M", help="comma-separated subset of S,M,L [S,M]")
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--regenerate", action="store_true", help="generate the data sets again")
    args = parser.parse_args()
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; choose from {sorted(SIZES)}")
    results = [run_size(size, args.workdir.resolve(), args.regenerate) for size in sizes]
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
