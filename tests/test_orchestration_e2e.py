"""End-to-end runs of the nightly Dagster job on a tiny generated data set.

One clean data set and one dirty one (30% bad rows) are generated once per session
(scenarios small_clean and small_dirty, tests/fixtures/scenarios.py).
The clean run goes through ``execute_in_process`` to inspect every check evaluation;
the dirty run and the lock test go through the real ``cskpi run`` CLI.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from fixtures.warehouse import Warehouses

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
# The data checks: dbt tests with stored failing rows (README, "Nightly checks").
DATA_CHECKS = {
    "quarantine_rate_below_threshold",
    "raw_rows_reconcile_with_staging",
    "fct_calls_row_count_matches_staging",
    "fct_tickets_row_count_matches_staging",
    "daily_contacts_no_sudden_jumps",
}


def _cskpi(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cskpi.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def datasets(warehouse: Warehouses) -> dict[str, Path]:
    """The landing folders of scenarios small_clean and small_dirty (generated once per session)."""
    return {name: warehouse.landing(f"small_{name}").raw for name in ("clean", "dirty")}


@pytest.fixture()
def run_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "CSKPI_DUCKDB_PATH": str(tmp_path / "warehouse" / "cskpi.duckdb"),
        "CSKPI_ALERT_FILE": str(tmp_path / "alerts.jsonl"),
    }
    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # ephemeral instance: no sqlite writes per event
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture(scope="session")
def clean_run(datasets: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    """The nightly job, in process, on the clean data set (shared by the tests below)."""
    tmp = tmp_path_factory.mktemp("clean_run")
    env = {"CSKPI_RAW_DIR": str(datasets["clean"]), "CSKPI_DUCKDB_PATH": str(tmp / "cskpi.duckdb")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from orchestration.definitions import defs

            with dg.DagsterInstance.ephemeral() as instance:
                result = defs.resolve_job_def("cskpi_nightly").execute_in_process(
                    instance=instance, raise_on_error=False
                )
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return result, Path(env["CSKPI_DUCKDB_PATH"])


def test_clean_run_materializes_everything_and_checks_pass(clean_run):
    result, warehouse = clean_run
    failures = [e.step_failure_data.user_failure_data for e in result.all_events if e.is_step_failure]
    assert result.success, failures
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"stg_helpdesk__tickets", "fct_calls", "kpi_metrics", "dq_table_reconciliation"} <= materialized
    evaluations = result.get_asset_check_evaluations()
    names = {e.check_name for e in evaluations}
    assert names >= DATA_CHECKS, DATA_CHECKS - names
    assert len(evaluations) > 50  # dbt tests ran as asset checks
    failed = [
        f"{e.asset_key.to_user_string()}:{e.check_name}: {e.description}"
        for e in evaluations
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert failed == []
    assert warehouse.exists()
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from kpi_metrics").fetchone()[0] > 0


def test_dirty_run_fails_quarantine_check_naming_the_table(datasets, run_env):
    result = _cskpi("run", "--raw-dir", str(datasets["dirty"]))
    assert result.returncode == 1, result.stderr[-3000:]
    failed_lines = [line for line in result.stderr.splitlines() if "FAILED check" in line]
    quarantine = [line for line in failed_lines if "dq_table_reconciliation:quarantine_rate_below_threshold" in line]
    assert quarantine, result.stderr[-3000:]
    # The messages of the stored failing rows, read back through the dbt adapter of the target.
    assert "failing row" in quarantine[0] and "% of raw rows quarantined (" in quarantine[0]
    assert any(f"{t}/" in quarantine[0] for t in ("helpdesk", "telephony", "shop", "surveys", "workforce"))
    assert "reasons:" in quarantine[0] and "sample keys:" in quarantine[0]
    # An error-severity dbt test fails the dbt step, naming it.
    assert "FAILED step cskpi_dbt" in result.stderr and "quarantine_rate_below_threshold" in result.stderr
    # the failure produced an alert line
    assert Path(run_env["CSKPI_ALERT_FILE"]).read_text().strip()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from cskpi.lock import WarehouseLock
    with WarehouseLock(Path(sys.argv[1]), purpose="simulated nightly run"):
        print("held", flush=True)
        time.sleep(120)
    """
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_second_run_is_refused_while_one_holds_the_warehouse(clean_run, datasets, run_env, tmp_path):
    _, built = clean_run
    warehouse = tmp_path / "busy" / "cskpi.duckdb"
    warehouse.parent.mkdir()
    warehouse.write_bytes(built.read_bytes())
    before = _digest(warehouse)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = _cskpi("run", "--raw-dir", str(datasets["clean"]), "--warehouse", str(warehouse), timeout=120)
        assert result.returncode == 3, result.stderr[-2000:]
        assert f"another run holds the warehouse lock (pid {holder.pid}, started at" in result.stderr
        assert "simulated nightly run" in result.stderr
        result = _cskpi(
            "run",
            "--raw-dir",
            str(datasets["clean"]),
            "--warehouse",
            str(warehouse),
            "--lock-timeout",
            "1",
            timeout=120,
        )
        assert result.returncode == 3 and "after waiting" in result.stderr
    finally:
        holder.kill()
        holder.wait()
    assert _digest(warehouse) == before
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from kpi_metrics").fetchone()[0] > 0


def test_a_warehouse_file_held_outside_cskpi_exits_3_naming_the_process(clean_run, datasets, run_env, tmp_path):
    """A plain DuckDB client (not a cskpi run: no warehouse lock) has the file open: exit 3 naming its PID."""
    _, built = clean_run
    warehouse = tmp_path / "held" / "cskpi.duckdb"
    warehouse.parent.mkdir()
    warehouse.write_bytes(built.read_bytes())
    script = "import duckdb, sys, time\ncon = duckdb.connect(sys.argv[1])\nprint('held', flush=True)\ntime.sleep(300)\n"
    holder = subprocess.Popen([sys.executable, "-c", script, str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = _cskpi("run", "--raw-dir", str(datasets["clean"]), "--warehouse", str(warehouse), timeout=300)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 3, result.stderr[-3000:]
    assert f"is held by another process (PID {holder.pid}" in result.stderr
    assert "Traceback" not in result.stderr


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_killing_a_run_ends_its_dbt_process(datasets, run_env, tmp_path):
    """kill -9 of `cskpi run` mid-build: its dbt child ends too, and the next run builds normally."""
    env = {**os.environ, **run_env}
    run = subprocess.Popen(
        [sys.executable, "-m", "cskpi.cli", "run", "--raw-dir", str(datasets["clean"]), "--no-publish"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline, dbt = time.monotonic() + 240, None
    while dbt is None and time.monotonic() < deadline and run.poll() is None:
        dbt = next((c for c in _children(run.pid) if "dbt build" in _cmdline(c).replace("cskpi-dbt", "dbt")), None)
        time.sleep(0.2)
    assert dbt is not None, "no dbt build child of cskpi run seen"
    time.sleep(3)  # let dbt open the warehouse and start building
    run.kill()
    run.wait()
    deadline = time.monotonic() + 15
    while Path(f"/proc/{dbt}").exists() and time.monotonic() < deadline:
        if _stat_state(dbt) == "Z":  # exited, only not yet reaped by its new parent
            break
        time.sleep(0.2)
    assert not Path(f"/proc/{dbt}").exists() or _stat_state(dbt) == "Z", "dbt kept running after its run was killed"
    again = _cskpi("run", "--raw-dir", str(datasets["clean"]), "--no-publish", env=env)
    assert again.returncode == 0, again.stderr[-3000:]


def _stat_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


BLOCKING_SCRIPT = textwrap.dedent(
    """
    import json, warnings
    warnings.simplefilter("ignore")
    import dagster as dg
    from orchestration.definitions import defs
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("cskpi_nightly").execute_in_process(instance=instance, raise_on_error=False)
    print(json.dumps({
        "success": result.success,
        "materialized": sorted(e.asset_key.to_user_string() for e in result.get_asset_materialization_events()),
        "checks": {e.check_name: e.passed for e in result.get_asset_check_evaluations()},
        "failures": [e.step_failure_data.user_failure_data.description
                     for e in result.all_events if e.is_step_failure and e.step_failure_data.user_failure_data],
    }))
    """
)


def test_error_severity_dbt_test_blocks_downstream(tmp_path):
    """A tiny dbt project of our own: a failing not_null test on a staging model must stop
    the mart built on it, fail the run and name the test."""
    project = tmp_path / "proj"
    (project / "models" / "staging").mkdir(parents=True)
    (project / "models" / "marts" / "core").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: tiny\nversion: '1.0'\nconfig-version: 2\nprofile: tiny\nmodel-paths: ['models']\n"
        "models:\n  tiny:\n    +materialized: table\n"
    )
    (project / "profiles.yml").write_text(
        "tiny:\n  target: duckdb\n  outputs:\n    duckdb:\n      type: duckdb\n"
        "      path: \"{{ env_var('CSKPI_DUCKDB_PATH') }}\"\n"
    )
    (project / "models" / "staging" / "stg_things.sql").write_text("select 1 as id union all select null")
    (project / "models" / "staging" / "_stg.yml").write_text(
        "version: 2\nmodels:\n  - name: stg_things\n    columns:\n      - name: id\n        data_tests: [not_null]\n"
    )
    (project / "models" / "marts" / "core" / "fct_things.sql").write_text("select * from {{ ref('stg_things') }}")
    env = {
        **os.environ,
        "CSKPI_PROJECT_DIR": str(project),
        "CSKPI_DUCKDB_PATH": str(tmp_path / "tiny.duckdb"),
        "CSKPI_RAW_DIR": str(tmp_path / "raw"),
    }
    env.pop("DAGSTER_HOME", None)
    proc = subprocess.run(
        [sys.executable, "-c", BLOCKING_SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not out["success"]
    assert out["materialized"] == ["stg_things"]  # fct_things was never built
    assert out["checks"] == {"not_null_stg_things_id": False}
    assert any("not_null_stg_things_id" in f for f in out["failures"])


def _serving_state(serving: Path) -> tuple[str, dict[str, str]]:
    from cskpi.publish import RUN_LOG_TABLES, current_version

    con = duckdb.connect(str(serving / "current" / "cskpi.duckdb"), read_only=True)
    try:
        rows = con.execute("select table_name, checksum from serving_tables").fetchall()
    finally:
        con.close()
    # the run logs record each run: every other table is a function of the landed data
    checksums = {name: value for name, value in rows if name not in RUN_LOG_TABLES}
    return current_version(serving) or "", checksums


def test_clean_run_publishes_and_a_run_failing_halfway_keeps_serving(datasets, run_env, tmp_path):
    import multiprocessing as mp
    import time

    from serving_reader import reader_loop

    serving = tmp_path / "serving"
    env = {**os.environ, **run_env, "CSKPI_SERVING_DIR": str(serving), "CSKPI_KEEP_DBT_INVOCATIONS": "1"}
    # A hair-trigger jump factor: the WARN check reports its jumps and the run still publishes.
    jumpy = json.dumps({"contact_jump_factor": 1.01, "contact_jump_min_contacts": 1})
    ok = _cskpi("run", "--raw-dir", str(datasets["clean"]), "--vars", jumpy, env=env)
    assert ok.returncode == 0, ok.stderr[-3000:]
    lines = ok.stderr.splitlines()
    warning = next(line for line in lines if "warning kpi_metrics:daily_contacts_no_sudden_jumps" in line)
    assert "failing rows:" in warning and ": contacts " in warning and "(factor > 1.01)" in warning
    assert "published:" in ok.stderr
    version, checksums = _serving_state(serving)
    assert {"kpi_metrics", "fct_contacts", "dim_markets"} <= set(checksums)

    # An analyst keeps querying the serving database through a full refresh and a failed run.
    ctx = mp.get_context("spawn")
    queue, stop = ctx.Queue(), tmp_path / "stop-reader"
    reader = ctx.Process(
        target=reader_loop,
        args=(str(serving / "current" / "cskpi.duckdb"), time.monotonic() + 900, queue, str(stop)),
    )
    reader.start()
    try:
        again = _cskpi("run", "--raw-dir", str(datasets["clean"]), "--full-refresh", env=env)
        assert again.returncode == 0, again.stderr[-3000:]
        refreshed, refreshed_checksums = _serving_state(serving)
        assert refreshed != version
        assert refreshed_checksums == checksums  # same raw data, identical serving content
        # A non-numeric threshold from the environment (cskpi run checks --vars, not this) makes the
        # contact-jump check fail to compile after the models were rebuilt.
        broken = _cskpi(
            "run", "--raw-dir", str(datasets["clean"]), env={**env, "CSKPI_KPI_JUMP_FACTOR": "not_a_number"}
        )
        assert broken.returncode == 1, broken.stderr[-3000:]
        assert "FAILED step" in broken.stderr and "serving database unchanged" in broken.stderr
        assert _serving_state(serving) == (refreshed, refreshed_checksums)
        assert (serving / "current" / "parquet" / "kpi_metrics").is_dir()
    finally:
        stop.touch()
        reads, errors, versions = queue.get(timeout=120)
        reader.join(timeout=30)
    assert errors == []
    assert reads > 10 and versions[0] == version and versions[-1] == refreshed
    # three runs, one dbt invocation folder left in target/ (each holds the compiled project)
    target_root = REPO / os.environ.get("DBT_TARGET_PATH", "target")
    assert len([p for p in target_root.iterdir() if p.is_dir() and p.name.startswith("cskpi_dbt-")]) == 1
