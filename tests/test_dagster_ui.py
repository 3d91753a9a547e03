"""The Dagster UI as users meet it: dagster-webserver serves the code location of workspace.yaml.

One server is started on a free loopback port with a scratch DAGSTER_HOME (the repository's
dagster.yaml, as `make ui` copies it) and every location pointing into a temporary folder;
the tests ask its GraphQL API what a user sees in the UI and the fixture stops the server.
Expected names come from the code (orchestration.jobs, orchestration.schedules) and the dbt
manifest (every seed and model an asset, every dbt test attached to one an asset check).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestration.jobs import DBT_OP_NAME, NIGHTLY_JOB_NAME, PUBLISH_JOB_NAME
from orchestration.schedules import full_refresh_cron, nightly_cron, schedule_timezone

ROOT = Path(__file__).resolve().parent.parent
WEBSERVER = Path(sys.executable).with_name("dagster-webserver")
START_TIMEOUT_SECONDS = 300
PUBLISH_SENSOR = "cskpi_publish_after_nightly"

REPOSITORY_QUERY = """
{
  repositoriesOrError {
    __typename
    ... on PythonError { message }
    ... on RepositoryConnection {
      nodes {
        jobs { name }
        schedules { name cronSchedule executionTimezone pipelineName scheduleState { status } }
        sensors { name sensorType targets { pipelineName } sensorState { status } }
        assetNodes {
          assetKey { path }
          kinds
          opNames
          jobNames
          assetChecksOrError { __typename ... on AssetChecks { checks { name blocking } } }
        }
      }
    }
  }
}
"""
LOCATION_QUERY = """
{
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Webserver:
    def __init__(self, port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = log

    def graphql(self, query: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            body = json.load(response)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def _wait_until_loaded(server: Webserver, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dagster-webserver exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            entries = server.graphql(LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            entries = []  # not serving yet
        if entries and all(e["loadStatus"] == "LOADED" for e in entries):
            errors = [e for e in entries if e["locationOrLoadError"]["__typename"] == "PythonError"]
            assert not errors, errors
            return
        time.sleep(1)
    pytest.fail(f"dagster-webserver did not serve the code location in {START_TIMEOUT_SECONDS}s:\n{server.log_tail()}")


@pytest.fixture(scope="module")
def webserver(tmp_path_factory) -> Iterator[Webserver]:
    if not WEBSERVER.is_file():
        pytest.fail(f"{WEBSERVER} is missing: dagster-webserver is a dependency of the project")
    tmp = tmp_path_factory.mktemp("dagster_ui")
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DBT_PROFILES_DIR": str(ROOT),
        "CSKPI_PROJECT_DIR": str(ROOT),
        "CSKPI_RAW_DIR": str(tmp / "raw"),
        "CSKPI_DUCKDB_PATH": str(tmp / "warehouse" / "cskpi.duckdb"),
        "CSKPI_SERVING_DIR": str(tmp / "serving"),
        "CSKPI_ALERT_FILE": str(tmp / "alerts.jsonl"),
    }
    port = free_port()
    server = Webserver(port, tmp / "webserver.log")
    with server.log.open("wb") as log:
        # Own session: teardown stops the webserver and the code server it spawned, nothing else.
        proc = subprocess.Popen(
            [str(WEBSERVER), "-w", str(ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_loaded(server, proc)
        yield server
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)


@pytest.fixture(scope="module")
def repository(webserver) -> dict[str, Any]:
    data = webserver.graphql(REPOSITORY_QUERY)["repositoriesOrError"]
    assert data["__typename"] == "RepositoryConnection", data
    (repo,) = data["nodes"]
    return repo


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    from orchestration.project import cskpi_dbt_project

    return json.loads(Path(cskpi_dbt_project.manifest_path).read_text())


def _assets(repository: dict[str, Any]) -> dict[tuple[str, ...], dict[str, Any]]:
    return {tuple(a["assetKey"]["path"]): a for a in repository["assetNodes"]}


def _asset_key(node: dict[str, Any]) -> tuple[str, ...]:
    from orchestration.assets.dbt import translator

    return tuple(translator.get_asset_key(node).path)


def test_jobs_load(repository):
    names = {j["name"] for j in repository["jobs"]}
    assert {NIGHTLY_JOB_NAME, PUBLISH_JOB_NAME} <= names


def test_both_schedules_run_the_nightly_job(repository):
    schedules = {s["cronSchedule"]: s for s in repository["schedules"]}
    assert set(schedules) == {nightly_cron(), full_refresh_cron()}
    for schedule in schedules.values():
        assert schedule["pipelineName"] == NIGHTLY_JOB_NAME
        assert schedule["executionTimezone"] == schedule_timezone()
        assert schedule["scheduleState"]["status"] == "RUNNING"


def test_publish_sensor_launches_the_publish_job(repository):
    sensors = {s["name"]: s for s in repository["sensors"]}
    assert PUBLISH_SENSOR in sensors, sorted(sensors)
    sensor = sensors[PUBLISH_SENSOR]
    assert sensor["sensorType"] == "RUN_STATUS"
    assert [t["pipelineName"] for t in sensor["targets"]] == [PUBLISH_JOB_NAME]
    assert sensor["sensorState"]["status"] == "RUNNING"


def test_every_dbt_seed_and_model_is_an_asset_of_the_nightly_job(repository, manifest):
    assets = _assets(repository)
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    assert nodes
    for node in nodes:
        key = _asset_key(node)
        assert key in assets, f"{node['unique_id']} is not an asset in the UI"
        asset = assets[key]
        assert "dbt" in asset["kinds"] and asset["opNames"] == [DBT_OP_NAME], asset
        assert NIGHTLY_JOB_NAME in asset["jobNames"], asset


def test_dbt_tests_are_asset_checks_on_their_assets(repository, manifest):
    assets = _assets(repository)
    relations = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    keys = {n["unique_id"]: _asset_key(n) for n in relations}
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test" and n.get("attached_node") in keys]
    assert tests
    for test in tests:
        asset = assets[keys[test["attached_node"]]]
        checks_or_error = asset["assetChecksOrError"]
        assert checks_or_error["__typename"] == "AssetChecks", checks_or_error
        checks = {c["name"]: c for c in checks_or_error["checks"]}
        assert test["name"] in checks, f"dbt test {test['name']} is no check on {'/'.join(asset['assetKey']['path'])}"
        # error-severity tests block downstream assets, as the README promises
        assert checks[test["name"]]["blocking"] == (test["config"]["severity"].lower() == "error")
