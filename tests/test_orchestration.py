"""Fast tests of the Dagster code location: definitions, schedule, dbt arguments, the data
checks as asset checks, the warehouse lock and alerting. The end-to-end runs are in
test_orchestration_e2e.py, the data checks on planted bad data in test_data_checks.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cskpi.dbt_args import dbt_build_args, parse_vars
from cskpi.lock import WarehouseLock, WarehouseLockBusy, lock_path_for, read_holder

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def code_location():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import orchestration.definitions as location
    return location


# ----------------------------------------------------------------- definitions


def test_definitions_load_and_validate(code_location):
    dg.Definitions.validate_loadable(code_location.defs)
    job = code_location.defs.resolve_job_def("cskpi_nightly")
    assert job.name == "cskpi_nightly"


def test_groups_follow_model_folders(code_location):
    groups = {k.to_user_string(): g for k, g in code_location.cskpi_dbt_assets.group_names_by_key.items()}
    by_prefix = {
        "stg_helpdesk__tickets": "staging",
        "dq_table_reconciliation": "quality",
        "fct_quarantined_rows": "quality",
        "kpi_metrics": "kpi",
        "fct_calls": "marts",
        "markets": "reference",
    }
    for name, group in by_prefix.items():
        if name in groups:
            assert groups[name] == group, name
    assert {g for n, g in groups.items() if n.startswith("int_")} <= {"intermediate"}
    assert set(groups.values()) <= {"staging", "intermediate", "marts", "kpi", "quality", "reference"}


def test_landing_assets_feed_staging(code_location):
    from cskpi.contract import TABLES

    landing = {s.key for s in code_location.landing_specs}
    assert len(landing) == len(TABLES)
    assert all(s.group_name == "landing" for s in code_location.landing_specs)
    graph = code_location.defs.resolve_asset_graph()
    stg = dg.AssetKey("stg_helpdesk__tickets")
    if graph.has(stg):
        upstream = graph.get(stg).parent_keys | {
            k for p in graph.get(stg).parent_keys for k in graph.get(p).parent_keys
        }
        assert dg.AssetKey(["landing", "helpdesk", "tickets"]) in upstream


def test_nightly_job_checks_and_tags(code_location):
    job = code_location.defs.resolve_job_def("cskpi_nightly")
    check_keys = job.asset_layer.asset_graph.asset_check_keys
    names = {k.name for k in check_keys}
    # dbt tests became checks, the data checks among them; the freshness checks are not in the job
    assert len(check_keys) > 20
    assert {name for _, name in DATA_CHECKS} <= names
    freshness = {k for c in code_location.freshness_checks for k in c.check_keys}
    assert freshness and not (freshness & set(check_keys))
    tags = job.run_tags
    assert tags["cskpi/warehouse"] == "duckdb"
    assert tags["dagster/max_retries"] == "2"
    assert tags["dagster/retry_on_asset_or_op_failure"] == "false"


def test_error_severity_dbt_tests_are_blocking(code_location):
    specs = list(code_location.cskpi_dbt_assets.check_specs)
    assert specs and any(s.blocking for s in specs)


# The data checks (dbt tests in macros/generic_tests): (asset they check, check name).
DATA_CHECKS = [
    ("dq_table_reconciliation", "raw_rows_reconcile_with_staging"),
    ("dq_table_reconciliation", "quarantine_rate_below_threshold"),
    ("fct_calls", "fct_calls_row_count_matches_staging"),
    ("fct_tickets", "fct_tickets_row_count_matches_staging"),
    ("kpi_metrics", "daily_contacts_no_sudden_jumps"),
]


def test_data_checks_are_dbt_asset_checks_with_their_severity(code_location):
    """Every data check is an asset check of the asset it checks; ERROR ones block, the jump check (WARN) does not."""
    specs = {(s.asset_key.to_user_string(), s.name): s for s in code_location.cskpi_dbt_assets.check_specs}
    for asset, name in DATA_CHECKS:
        assert (asset, name) in specs, f"{asset}:{name} is not an asset check"
        assert specs[(asset, name)].blocking is (name != "daily_contacts_no_sudden_jumps"), name
    # the Python KPI range check is gone with orchestration/checks.py
    assert not any(name == "kpi_values_in_range" for _, name in specs)


def test_data_checks_store_failures_and_are_found_for_messages():
    from orchestration.assets.failures import stored_failure_relations
    from orchestration.project import cskpi_dbt_project

    manifest = json.loads(cskpi_dbt_project.manifest_path.read_text())
    relations = stored_failure_relations(manifest)
    for _, name in DATA_CHECKS:
        assert name in relations, f"{name} does not store its failing rows"
        assert relations[name].replace('"', "").endswith(f"dbt_test__audit.{name}")


def test_failure_description_lists_messages_and_the_rest():
    from orchestration.assets.failures import describe_failures

    assert describe_failures(["a", "b"], 2) == "2 failing rows: a | b"
    assert describe_failures(["only"], 1) == "1 failing row: only"
    assert describe_failures(["a", "b"], 12) == "12 failing rows: a | b | ... 10 more"


def test_freshness_checks_cover_marts(code_location):
    covered = {k.asset_key for c in code_location.freshness_checks for k in c.check_keys}
    assert dg.AssetKey("kpi_metrics") in covered
    assert all(code_location.cskpi_dbt_assets.group_names_by_key[k] in ("marts", "kpi") for k in covered)
    graph = code_location.defs.resolve_asset_graph()
    policy = graph.get(dg.AssetKey("kpi_metrics")).freshness_policy
    assert policy is not None and policy.fail_window.to_timedelta() == timedelta(hours=26)


# ----------------------------------------------------------------- schedule


def test_schedule_defaults(code_location, monkeypatch):
    from orchestration.schedules import build_nightly_schedule

    monkeypatch.delenv("CSKPI_SCHEDULE_TIMEZONE", raising=False)
    monkeypatch.delenv("CSKPI_SCHEDULE_CRON", raising=False)
    schedule = build_nightly_schedule(code_location.nightly_job)
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Budapest"
    assert schedule.job_name == "cskpi_nightly"


def test_schedule_env_override(code_location, monkeypatch):
    from orchestration.schedules import build_nightly_schedule

    monkeypatch.setenv("CSKPI_SCHEDULE_TIMEZONE", "Europe/Warsaw")
    monkeypatch.setenv("CSKPI_SCHEDULE_CRON", "30 3 * * *")
    schedule = build_nightly_schedule(code_location.nightly_job)
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 3 * * *", "Europe/Warsaw")
    monkeypatch.setenv("CSKPI_SCHEDULE_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="Mars/Olympus"):
        build_nightly_schedule(code_location.nightly_job)


def test_dagster_yaml_is_a_valid_instance_config(tmp_path, monkeypatch):
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        assert instance.run_retries_enabled
        assert instance.run_retries_max_retries == 2
        assert instance.run_retries_retry_on_asset_or_op_failure is False
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert {"key": "cskpi/warehouse", "value": "duckdb", "limit": 1} in limits


# ----------------------------------------------------------------- dbt arguments & translator


def test_dbt_build_args():
    assert dbt_build_args() == ["build"]
    assert dbt_build_args(full_refresh=True) == ["build", "--full-refresh"]
    assert dbt_build_args(select="staging+ tag:kpi", exclude=["fct_calls"]) == [
        "build",
        "--select",
        "staging+ tag:kpi",
        "--exclude",
        "fct_calls",
    ]
    args = dbt_build_args(vars={"b": 2, "a": 1})
    assert args == ["build", "--vars", '{"a":1,"b":2}']
    assert dbt_build_args(select="  ", exclude=[]) == ["build"]


def test_parse_vars():
    assert parse_vars("") == {} and parse_vars(None) == {}
    assert parse_vars('{"fcr_window_days": 3}') == {"fcr_window_days": 3}
    with pytest.raises(ValueError, match="JSON object"):
        parse_vars("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        parse_vars("{nope")


def test_layer_and_owners():
    from orchestration.assets.dbt import layer_for_path, owners_from_meta

    assert layer_for_path("models/staging/helpdesk/stg_helpdesk__tickets.sql") == "staging"
    assert layer_for_path("models/intermediate/contacts/int_x.sql") == "intermediate"
    assert layer_for_path("models/marts/core/fct_calls.sql") == "marts"
    assert layer_for_path("models/marts/kpi/kpi_metrics.sql") == "kpi"
    assert layer_for_path("models/marts/quality/dq_table_reconciliation.sql") == "quality"
    assert layer_for_path("seeds/markets.csv", "seed") == "reference"
    assert owners_from_meta({"owner": "cs-analytics"}) == ["team:cs-analytics"]
    assert owners_from_meta({"owners": ["a@b.com", "team:dq"]}) == ["a@b.com", "team:dq"]
    assert owners_from_meta({}) == []


# ----------------------------------------------------------------- lock

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from cskpi.lock import WarehouseLock
    shared = len(sys.argv) > 3
    with WarehouseLock(Path(sys.argv[1]), purpose="test holder", shared=shared):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def _hold(warehouse: Path, seconds: float, shared: bool = False) -> subprocess.Popen[str]:
    extra = ["shared"] if shared else []
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse), str(seconds), *extra],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_lock_refuses_second_process_with_holder_info(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).execute("create table t as select 42 as x").close()
    proc = _hold(warehouse, 30)
    try:
        with pytest.raises(WarehouseLockBusy) as info:
            WarehouseLock(warehouse).acquire()
        message = str(info.value)
        assert f"another run holds the warehouse lock (pid {proc.pid}, started at " in message
        assert read_holder(lock_path_for(warehouse)).pid == proc.pid
    finally:
        proc.kill()
        proc.wait()
    # the kernel released the dead holder's lock; the warehouse is untouched
    with WarehouseLock(warehouse):
        assert duckdb.connect(str(warehouse), read_only=True).execute("select x from t").fetchone() == (42,)


def test_lock_waits_for_release(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    proc = _hold(warehouse, 1.5)
    started = time.monotonic()
    with WarehouseLock(warehouse, timeout=30, poll_interval=0.05) as lock:
        assert time.monotonic() - started >= 0.5
        assert lock.held_by_this_process
        assert read_holder(lock.path).pid == os.getpid()
    proc.wait(timeout=10)


def test_shared_readers_exclude_writers_not_each_other(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    reader = _hold(warehouse, 30, shared=True)
    try:
        with WarehouseLock(warehouse, shared=True):  # a second reader is fine
            pass
        with pytest.raises(WarehouseLockBusy):
            WarehouseLock(warehouse).acquire()  # a writer is not
    finally:
        reader.kill()
        reader.wait()
    with WarehouseLock(warehouse):
        pass


def test_lock_is_reentrant_in_process(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with WarehouseLock(warehouse) as outer:
        with WarehouseLock(warehouse) as inner, WarehouseLock(warehouse, shared=True):
            assert inner.held_by_this_process
        assert outer.held_by_this_process
    assert not WarehouseLock(warehouse).held_by_this_process


# ----------------------------------------------------------------- alerts, landing, sensor


def test_alert_resource_writes_json_line_without_network(tmp_path, monkeypatch):
    from orchestration.alerts import AlertResource, JsonlFileHook

    for var in ("CSKPI_ALERT_SLACK_WEBHOOK_URL", "CSKPI_ALERT_SMTP_HOST", "CSKPI_ALERT_EMAIL_TO"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CSKPI_ALERT_FILE", str(tmp_path / "alerts" / "a.jsonl"))
    resource = AlertResource()
    assert [type(h) for h in resource.hooks()] == [JsonlFileHook]
    assert resource.send({"event": "run_failure", "job": "j", "run_id": "r", "message": "boom"}) == []
    lines = (tmp_path / "alerts" / "a.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["message"] == "boom"
    monkeypatch.setenv("CSKPI_ALERT_SLACK_WEBHOOK_URL", "https://hooks.example.invalid/x")
    assert [h.name for h in resource.hooks()] == ["file", "slack"]


def test_run_failure_sensor_writes_alert(tmp_path, monkeypatch):
    from orchestration.alerts import AlertResource
    from orchestration.sensors import run_failure_alert_sensor

    @dg.op
    def explode() -> None:
        raise RuntimeError("disk on fire")

    @dg.job
    def failing_job() -> None:
        explode()

    alert_file = tmp_path / "alerts.jsonl"
    with dg.DagsterInstance.ephemeral() as instance:
        result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
        run = instance.get_run_by_id(result.run_id)
        failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        context = dg.build_run_status_sensor_context(
            sensor_name="cskpi_run_failure_alert",
            dagster_event=failure,
            dagster_instance=instance,
            dagster_run=run,
            resources={"alerts": AlertResource(alert_file=str(alert_file))},
        ).for_run_failure()
        run_failure_alert_sensor(context)
    alert = json.loads(alert_file.read_text().splitlines()[-1])
    assert alert["job"] == "failing_job" and alert["run_id"] == result.run_id
    assert "disk on fire" in json.dumps(alert["failed_steps"])


def test_check_failure_sensor_alerts_on_failed_error_checks(tmp_path):
    from orchestration.alerts import AlertResource
    from orchestration.sensors import check_failure_alert_sensor

    @dg.asset
    def thing() -> int:
        return 1

    @dg.asset_check(asset=thing)
    def thing_quarantine() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, description="helpdesk/tickets: 30% quarantined")

    @dg.asset_check(asset=thing)
    def thing_jumps() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, description="noise")

    alert_file = tmp_path / "alerts.jsonl"
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([thing, thing_quarantine, thing_jumps], instance=instance)
        assert result.success
        success = next(e for e in result.all_events if e.event_type_value == "PIPELINE_SUCCESS")
        context = dg.build_run_status_sensor_context(
            sensor_name="cskpi_check_failure_alert",
            dagster_event=success,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
            resources={"alerts": AlertResource(alert_file=str(alert_file))},
        )
        check_failure_alert_sensor(context)
    alert = json.loads(alert_file.read_text().splitlines()[-1])
    assert alert["event"] == "check_failure"
    assert [f["check"] for f in alert["failed_checks"]] == ["thing:thing_quarantine"]
    assert "helpdesk/tickets" in alert["message"]


def test_observe_landing_table(tmp_path):
    from cskpi.contract import table
    from orchestration.assets.landing import landing_fingerprint, observe_landing_table

    tickets = table("helpdesk/tickets")
    assert observe_landing_table(tmp_path, tickets).row_count == 0
    folder = tmp_path / "helpdesk" / "tickets"
    folder.mkdir(parents=True)
    con = duckdb.connect()
    for i, ts in enumerate(["2024-01-01 10:00:00", "2024-01-02 11:30:00"]):
        con.execute(
            f"copy (select 'T{i}' || range as ticket_id, timestamp '{ts}' as _loaded_at from range(3)) "
            f"to '{folder / f'part{i}.parquet'}' (format parquet)"
        )
    stats = observe_landing_table(tmp_path, tickets)
    assert (stats.row_count, stats.file_count) == (6, 2)
    assert stats.newest_loaded_at == datetime(2024, 1, 2, 11, 30)
    assert stats.as_metadata()["dagster/row_count"] == 6
    assert landing_fingerprint(tmp_path) == landing_fingerprint(tmp_path)


# ----------------------------------------------------------------- cskpi run (argument handling)


def test_cskpi_run_arguments_and_bad_vars(capsys):
    from cskpi.cli import build_parser
    from orchestration.runner import EXIT_USAGE, run_config

    args = build_parser().parse_args(
        ["run", "--raw-dir", "r", "--warehouse", "w.duckdb", "--full-refresh", "--vars", '{"a": 1}']
    )
    assert (args.raw_dir, args.warehouse, args.full_refresh, args.vars) == ("r", "w.duckdb", True, '{"a": 1}')
    config = run_config(True, '{"a":1}', "CRITICAL")
    assert config["ops"]["cskpi_dbt"]["config"] == {"full_refresh": True, "vars_json": '{"a":1}'}
    bad = build_parser().parse_args(["run", "--vars", "[1]"])
    env_before = dict(os.environ)
    assert bad.func(bad) == EXIT_USAGE
    assert "JSON object" in capsys.readouterr().err
    assert dict(os.environ) == env_before


def _publish_sensor_result(check_passes: bool):
    from orchestration.resources import WarehouseResource
    from orchestration.sensors import build_publish_sensor

    @dg.asset
    def thing() -> int:
        return 1

    @dg.asset_check(asset=thing)
    def thing_quality() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=check_passes, description="helpdesk/tickets: 30% quarantined")

    nightly = dg.define_asset_job("nightly", selection=[thing])
    publish = dg.define_asset_job("publish", selection=[thing])
    sensor = build_publish_sensor(nightly, publish)
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([thing, thing_quality], instance=instance)
        success = next(e for e in result.all_events if e.event_type_value == "PIPELINE_SUCCESS")
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_event=success,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
            resources={"warehouse": WarehouseResource()},
        )
        return sensor(context), result.run_id


def test_publish_sensor_requests_publish_after_a_clean_run():
    request, run_id = _publish_sensor_result(check_passes=True)
    assert isinstance(request, dg.RunRequest)
    assert request.run_key == run_id


def test_publish_sensor_skips_when_an_error_check_failed():
    skip, _ = _publish_sensor_result(check_passes=False)
    assert isinstance(skip, dg.SkipReason)
    assert "1 ERROR checks failed" in skip.skip_message


def test_publish_sensor_skips_on_spark_with_the_reason(monkeypatch):
    monkeypatch.setenv("CSKPI_TARGET", "spark")
    skip, _ = _publish_sensor_result(check_passes=True)
    assert isinstance(skip, dg.SkipReason)
    assert "publish is disabled on the spark target" in skip.skip_message


def test_definitions_have_the_publish_job_after_the_marts():
    from orchestration.assets.serving import SERVING_ASSET_KEY
    from orchestration.definitions import defs

    job = defs.resolve_job_def("cskpi_publish")
    assert job.tags.get("cskpi/warehouse") == "duckdb"
    graph = defs.resolve_asset_graph()
    parents = {k.to_user_string() for k in graph.get(SERVING_ASSET_KEY).parent_keys}
    assert {"kpi_metrics", "fct_contacts"} <= parents
    assert not any(p.startswith(("stg_", "int_", "base_")) for p in parents)


def test_a_failed_publish_says_so_after_the_build_summary(tmp_path, monkeypatch):
    """The publish job while another publish holds the serving lock: one clear FAILED line, serving unchanged."""
    import io

    from orchestration.definitions import defs
    from orchestration.jobs import PUBLISH_JOB_NAME
    from orchestration.runner import EXIT_FAILED, _publish

    warehouse, serving = tmp_path / "wh.duckdb", tmp_path / "serving"
    con = duckdb.connect(str(warehouse))
    con.execute("create table kpi_metrics as select 1 as value")
    con.close()
    monkeypatch.setenv("CSKPI_DUCKDB_PATH", str(warehouse))
    monkeypatch.setenv("CSKPI_SERVING_DIR", str(serving))
    monkeypatch.setenv("CSKPI_PUBLISH_WAIT_SECONDS", "0")
    alerts: list[str] = []
    monkeypatch.setattr("orchestration.runner._alert", lambda result, job: alerts.append(job))
    out = io.StringIO()
    hold = "import sys, time\nfrom pathlib import Path\nfrom cskpi.lock import publish_lock\n" \
        "with publish_lock(Path(sys.argv[1]), 0):\n    print('held', flush=True)\n    time.sleep(60)\n"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(serving)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code = _publish(defs, dg.DagsterInstance.ephemeral(), "run-1", out)
    finally:
        holder.kill()
        holder.wait()
    text = out.getvalue()
    assert code == EXIT_FAILED
    assert "publish FAILED; the serving database is unchanged" in text
    assert "another publish holds the serving lock" in text and "Traceback" not in text
    assert not (serving / "current").exists() and alerts == [PUBLISH_JOB_NAME]


def test_only_the_newest_dbt_invocation_folders_are_kept(tmp_path, monkeypatch):
    from orchestration.project import keep_invocations, prune_invocations

    names = [f"cskpi_dbt-{n:07x}-abc{n:04x}" for n in range(7)]
    for age, name in enumerate(names):  # names[0] is the newest
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text("{}")
        os.utime(tmp_path / name, (1_700_000_000 - age * 60, 1_700_000_000 - age * 60))
    for keep in ("partial_parse.msgpack", "manifest.json"):
        (tmp_path / keep).write_text("x")
    (tmp_path / "gw0").mkdir()  # a test worker's own target folder is not an invocation
    removed = prune_invocations(tmp_path, 3)
    assert sorted(p.name for p in removed) == sorted(names[3:])
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([*names[:3], "gw0", "manifest.json", "partial_parse.msgpack"])
    monkeypatch.setenv("CSKPI_KEEP_DBT_INVOCATIONS", "2")
    assert keep_invocations() == 2
    monkeypatch.setenv("CSKPI_KEEP_DBT_INVOCATIONS", "0")
    with pytest.raises(ValueError, match="CSKPI_KEEP_DBT_INVOCATIONS"):
        keep_invocations()


def test_serving_keep_versions_from_env(monkeypatch):
    from cskpi.publish import keep_versions

    monkeypatch.delenv("CSKPI_SERVING_KEEP", raising=False)
    assert keep_versions() == 3
    monkeypatch.setenv("CSKPI_SERVING_KEEP", "5")
    assert keep_versions() == 5
    monkeypatch.setenv("CSKPI_SERVING_KEEP", "zero")
    with pytest.raises(ValueError, match="CSKPI_SERVING_KEEP"):
        keep_versions()


def test_weekly_full_refresh_schedule(monkeypatch):
    from orchestration.definitions import defs
    from orchestration.schedules import full_refresh_cron

    schedule = defs.resolve_schedule_def("cskpi_weekly_full_refresh")
    assert schedule.cron_schedule == "0 4 * * 0"
    assert schedule.execution_timezone == "Europe/Budapest"
    assert schedule.job_name == "cskpi_nightly"
    data = schedule.evaluate_tick(dg.build_schedule_context()).run_requests[0]
    assert data.run_config["ops"]["cskpi_dbt"]["config"]["full_refresh"] is True
    monkeypatch.setenv("CSKPI_FULL_REFRESH_CRON", "30 3 * * 6")
    assert full_refresh_cron() == "30 3 * * 6"


def test_a_manifest_parsed_for_another_warehouse_is_stale(tmp_path, monkeypatch):
    # Stored-failure relations carry the database name the manifest was parsed for: a manifest
    # left in the shared target folder by a build of another DuckDB file must be re-parsed.
    from orchestration import project

    root = tmp_path / "repo"
    (root / "models").mkdir(parents=True)
    (root / "models" / "m.sql").write_text("select 1")
    manifest = root / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text("{}")
    monkeypatch.setenv("CSKPI_DUCKDB_PATH", str(tmp_path / "a.duckdb"))
    assert project.manifest_is_stale(root, manifest), "no record of what it was parsed for"

    record = manifest.with_name("cskpi_parse_env.json")
    record.write_text(json.dumps(project.parse_environment(manifest)))
    assert not project.manifest_is_stale(root, manifest)

    monkeypatch.setenv("CSKPI_DUCKDB_PATH", str(tmp_path / "b.duckdb"))
    assert project.manifest_is_stale(root, manifest), "parsed for a.duckdb, running against b.duckdb"

    monkeypatch.setenv("CSKPI_DUCKDB_PATH", str(tmp_path / "a.duckdb"))
    time.sleep(0.01)
    manifest.write_text('{"rewritten": "by a plain dbt command"}')
    assert project.manifest_is_stale(root, manifest), "rewritten since it was recorded"


def test_the_code_location_uses_dbts_target_path(monkeypatch, tmp_path):
    # Parallel test workers and users set DBT_TARGET_PATH; the manifest must live where dbt writes it.
    from orchestration import project

    monkeypatch.setattr(project, "manifest_is_stale", lambda root, manifest: False)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "elsewhere"))
    assert project.build_dbt_project().manifest_path == tmp_path / "elsewhere" / "manifest.json"
    monkeypatch.delenv("DBT_TARGET_PATH")
    assert project.build_dbt_project().manifest_path == project.project_dir() / "target" / "manifest.json"
