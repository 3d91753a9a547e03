"""The PostgreSQL target end to end, on a throwaway local cluster.

One session: start a cluster, generate a small data set, `cskpi load --target postgres`
twice, `dbt build` on PostgreSQL (seeds, all models, data and unit tests must pass) while the
same data builds on DuckDB in parallel (seeds and models up to kpi_metrics), then compare
kpi_metrics row by row and check what the analyst role can and cannot do.

Needs the PostgreSQL server binaries (Debian: `apt-get install -y postgresql`). Without
them the tests are skipped locally and fail on CI (env CI set).
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from fixtures.builds import (
    AGENT_HASHES,
    DUCKDB_REFERENCE,
    SERVER_SALT,
    Build,
    finish_build,
    start_build,
    target_env,
)
from fixtures.compare import assert_same_rows, assert_server_matches_duckdb, duckdb_kpi_metrics, keyed
from fixtures.landing import REFERENCE_SAMPLE, write_reference
from fixtures.pg_sql import postgres_try_cast

pytestmark = pytest.mark.postgres

psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is not installed (pip install psycopg2-binary)")
pytest.importorskip("psycopg2.errors")
pytest.importorskip("psycopg2.extensions")

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GENERATE_ARGS = ["--start", "2024-02-15", "--days", "60", "--scale", "0.05", "--markets", "RO,PL", "--dirt", "0.01"]
DBT_USER, DBT_PASSWORD, DATABASE, SCHEMA = "cskpi_dbt", "dbt-secret", "cskpi", "analytics"
ANALYST_ROLE, ANALYST_USER, ANALYST_PASSWORD = "analyst", "alice", "alice-secret"
STEP_TIMEOUT = 240  # seconds per subprocess


# ---------------------------------------------------------------------------- cluster


def _initdb() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1])
    on_path = shutil.which("initdb")
    return Path(on_path) if on_path else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Cluster:
    bin_dir: Path
    data_dir: Path
    socket_dir: Path
    port: int

    def superuser(self, dbname: str = "postgres") -> psycopg2.extensions.connection:
        conn = psycopg2.connect(host=str(self.socket_dir), port=self.port, user="postgres", dbname=dbname)
        conn.autocommit = True
        return conn

    def connect(self, user: str, password: str) -> psycopg2.extensions.connection:
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=user, password=password, dbname=DATABASE)
        conn.autocommit = True
        return conn

    def query(self, statement: str, params: tuple = (), dbname: str = DATABASE) -> list[tuple]:
        """Run one statement as superuser (autocommit); its rows, if any."""
        conn = self.superuser(dbname)
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the postgres user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=STEP_TIMEOUT, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    initdb = _initdb()
    if initdb is None:
        reason = "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb); apt-get install postgresql"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    bin_dir = initdb.parent
    # Not under pytest's tmp_path: its parents are private to root and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="cskpi-pg-"))
    root.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
    data_dir, log = root / "data", root / "server.log"
    init = _run(
        _as_postgres(
            [
                str(initdb),
                "-D", str(data_dir),
                "-U", "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--no-locale",  # C collation: text ordering equals DuckDB's (byte order)
                "-E", "UTF8",
            ]
        )
    )  # fmt: skip
    assert init.returncode == 0, f"initdb failed:\n{init.stdout}\n{init.stderr}"
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC"
    )
    pg_ctl = str(bin_dir / "pg_ctl")
    start = _run(_as_postgres([pg_ctl, "-D", str(data_dir), "-l", str(log), "-w", "-t", "60", "-o", options, "start"]))
    assert start.returncode == 0, f"pg_ctl start failed:\n{start.stderr}\n{log.read_text() if log.exists() else ''}"
    try:
        yield Cluster(bin_dir, data_dir, root, port)
    finally:
        _run(_as_postgres([pg_ctl, "-D", str(data_dir), "-m", "fast", "-w", "stop"]))
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_env(cluster: Cluster) -> dict[str, str]:
    """A database owned by a login user for dbt (CREATEROLE: the grants hook creates the analyst role)."""
    cluster.query(f"create role {DBT_USER} login createrole password %s", (DBT_PASSWORD,), dbname="postgres")
    cluster.query(f"create database {DATABASE} owner {DBT_USER}", dbname="postgres")
    return {
        "CSKPI_PG_HOST": "127.0.0.1",
        "CSKPI_PG_PORT": str(cluster.port),
        "CSKPI_PG_USER": DBT_USER,
        "CSKPI_PG_PASSWORD": DBT_PASSWORD,
        "CSKPI_PG_DATABASE": DATABASE,
        "CSKPI_PG_SCHEMA": SCHEMA,
    }


# text -> value of try_cast_to (macros/cross_db/try_cast.sql) per contract type; None: does not convert
TRY_CASTS: dict[str, list[tuple[str, object]]] = {
    "integer": [("12", 12), ("12.0", 12), (" -7 ", -7), ("12.5", None), ("abc", None), ("99999999999", None)],
    "double": [("12.5", 12.5), ("1e3", 1000.0), ("abc", None), ("NaN", None)],
    "boolean": [("true", True), ("0", False), ("maybe", None)],
    "date": [("2024-02-29", dt.date(2024, 2, 29)), ("2023-02-29", None), ("2024-13-01", None), ("x", None)],
    "timestamp": [
        ("2024-03-01T10:00:00+02:00", dt.datetime(2024, 3, 1, 8, 0)),
        ("2024-03-01 10:00:00", dt.datetime(2024, 3, 1, 10, 0)),
        ("2024-03-01T10:00:00Z", dt.datetime(2024, 3, 1, 10, 0)),
        ("2024-02-30 10:00:00", None),
        ("2024-03-01T25:00:00", None),
        ("abc", None),
    ],
}


def test_try_cast_to_on_postgres(cluster: Cluster) -> None:
    """PostgreSQL has no try_cast: the guarded casts give null for what does not convert (no
    error), and a session time zone far from UTC changes nothing."""
    conn = cluster.superuser()
    try:
        with conn.cursor() as cur:
            cur.execute("set timezone = 'Pacific/Auckland'")
            for contract_type, cases in TRY_CASTS.items():
                sql = postgres_try_cast("v", contract_type).replace("%", "%%")  # psycopg2 placeholders
                for text, expected in cases:
                    cur.execute(f"select {sql} from (values (%s)) as t (v)", (text,))
                    assert cur.fetchone()[0] == expected, f"{contract_type} {text!r}"
    finally:
        conn.close()


# ---------------------------------------------------------------------------- data and builds


@pytest.fixture(scope="session")
def work_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="cskpi-pgtest-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def raw_dir(work_dir: Path) -> Path:
    out = work_dir / "raw"
    gen = _run([str(BIN / "cskpi"), "generate", "--out", str(out), *GENERATE_ARGS], cwd=PROJECT)
    assert gen.returncode == 0, f"cskpi generate failed:\n{gen.stdout}\n{gen.stderr}"
    return write_reference(out, REFERENCE_SAMPLE)


def _load(env: dict[str, str], raw: Path) -> subprocess.CompletedProcess[str]:
    return _run([str(BIN / "cskpi"), "load", "--target", "postgres", "--raw-dir", str(raw)], env=env, cwd=PROJECT)


def _raw_counts(cluster: Cluster) -> dict[str, int]:
    from cskpi.contract import TABLES

    return {t.path: cluster.query(f"select count(*) from raw_{t.system}.{t.name}")[0][0] for t in TABLES}


@dataclass
class LoadRuns:
    first: dict[str, int]
    second: dict[str, int]
    output: str


@pytest.fixture(scope="session")
def loaded(cluster: Cluster, pg_env: dict[str, str], work_dir: Path, raw_dir: Path) -> LoadRuns:
    env = target_env(raw_dir, **pg_env)
    first = _load(env, raw_dir)
    assert first.returncode == 0, f"first cskpi load failed:\n{first.stdout}\n{first.stderr}"
    counts_1 = _raw_counts(cluster)
    second = _load(env, raw_dir)
    assert second.returncode == 0, f"second cskpi load failed:\n{second.stdout}\n{second.stderr}"
    return LoadRuns(counts_1, _raw_counts(cluster), first.stderr)


@dataclass
class Builds:
    postgres: Build
    duckdb: Build
    duckdb_path: Path


@pytest.fixture(scope="session")
def builds(loaded: LoadRuns, pg_env: dict[str, str], work_dir: Path, raw_dir: Path) -> Builds:
    duck_path = work_dir / "warehouse.duckdb"
    started = time.monotonic()
    # PostgreSQL: everything (seeds, models, data and unit tests). DuckDB is only the reference for
    # the comparison (its own tests run elsewhere): seeds and models up to kpi_metrics.
    # A custom PII salt (not the demo's), given to PostgreSQL through PGOPTIONS (target_env).
    pg_build_env = target_env(raw_dir, CSKPI_TARGET="postgres", CSKPI_THREADS="6", CSKPI_PII_SALT=SERVER_SALT, **pg_env)
    pg = start_build(work_dir, "postgres", pg_build_env)
    duck_env = target_env(raw_dir, CSKPI_TARGET="duckdb", CSKPI_DUCKDB_PATH=str(duck_path), CSKPI_PII_SALT=SERVER_SALT)
    duck = start_build(work_dir, "duckdb", duck_env, *DUCKDB_REFERENCE)
    pg_build = finish_build(work_dir, "postgres", pg, started, STEP_TIMEOUT)
    duck_build = finish_build(work_dir, "duckdb", duck, started, STEP_TIMEOUT)
    return Builds(pg_build, duck_build, duck_path)


# ---------------------------------------------------------------------------- tests: load


def test_load_is_idempotent(loaded: LoadRuns, raw_dir: Path):
    from cskpi.contract import TABLES

    assert loaded.first == loaded.second, "a second load of the same landing files changed the row counts"
    con = duckdb.connect()
    for t in TABLES:
        files = f"{raw_dir}/{t.path}/*.parquet"
        landed = con.execute(f"select count(*) from read_parquet('{files}', union_by_name = true)").fetchone()[0]
        assert loaded.first[t.path] == landed, f"{t.path}: {landed} landing rows, {loaded.first[t.path]} loaded"
        assert f"raw_{t.system}.{t.name}" in loaded.output, "progress output names every table"
    assert sum(loaded.first.values()) > 0


def test_reference_tables_load_into_raw_reference_and_override(loaded: LoadRuns, builds: Builds, cluster: Cluster):
    assert "raw_reference.markets" in loaded.output and "raw_reference.fx_rates" not in loaded.output  # absent
    assert cluster.query("select market_code, timezone from raw_reference.markets") == [("IL", "Asia/Jerusalem")]
    markets = dict(cluster.query(f"select market_code, origin from {SCHEMA}.stg_reference__markets"))
    assert markets["IL"] == "landed" and markets["RO"] == "shipped"
    targets = cluster.query(
        f"select distinct target from {SCHEMA}.kpi_metrics where market_code = 'RO' and kpi_code = 'service_level'"
    )
    assert [float(t) for (t,) in targets] == [95.0]


def test_load_names_missing_landing_table(cluster: Cluster, pg_env: dict[str, str], work_dir: Path, raw_dir: Path):
    partial = work_dir / "raw_partial"
    shutil.copytree(raw_dir / "helpdesk", partial / "helpdesk")
    result = _load(target_env(partial, **pg_env), partial)
    assert result.returncode != 0
    assert "telephony/calls" in result.stderr and "missing" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------- tests: build


def test_dbt_build_passes_on_postgres(builds: Builds):
    build = builds.postgres
    assert build.returncode == 0 and not build.failures(), (
        f"dbt on PostgreSQL failed ({build.seconds:.0f}s):\n"
        + "\n".join(build.failures())
        + "\n--- log tail ---\n"
        + build.log[-4000:]
    )
    kinds = {r["unique_id"].split(".")[0] for r in build.run_results}
    assert {"model", "test"} <= kinds


def test_dbt_reference_build_passes_on_duckdb(builds: Builds):
    build = builds.duckdb
    assert build.returncode == 0 and not build.failures(), (
        "dbt on DuckDB failed:\n" + "\n".join(build.failures()) + "\n--- log tail ---\n" + build.log[-4000:]
    )


def _pg_kpi_metrics(cluster: Cluster) -> tuple[list[str], dict[tuple, dict[str, object]]]:
    conn = cluster.superuser(DATABASE)
    try:
        with conn.cursor() as cur:
            cur.execute(f"select * from {SCHEMA}.kpi_metrics")
            cols = [d[0] for d in cur.description]
            return cols, keyed(cols, cur.fetchall())
    finally:
        conn.close()


def test_kpi_metrics_match_duckdb(builds: Builds, cluster: Cluster):
    # Compared even when an unrelated node failed, as long as kpi_metrics itself was built on both.
    for build in (builds.postgres, builds.duckdb):
        if not build.built("model.cskpi.kpi_metrics"):
            pytest.fail(f"kpi_metrics was not built on {build.name}; see test_dbt_*_passes_on_* for the errors")
    pg_cols, pg = _pg_kpi_metrics(cluster)
    assert_server_matches_duckdb(builds.duckdb_path, pg_cols, pg, "postgres")


def test_pii_hashes_match_duckdb_and_the_salt_stays_out_of_target(builds: Builds, cluster: Cluster, work_dir: Path):
    """The salt reaches PostgreSQL as a session setting: same hashes as DuckDB, no trace in dbt's files."""
    if not builds.postgres.built("model.cskpi.stg_workforce__agents"):
        pytest.fail("stg_workforce__agents was not built on postgres")
    query = f"select {', '.join(AGENT_HASHES)} from "
    pg = sorted(cluster.query(query + f"{SCHEMA}.stg_workforce__agents"))
    con = duckdb.connect(str(builds.duckdb_path), read_only=True)
    duck = sorted(con.execute(query + "stg_workforce__agents").fetchall())
    con.close()
    assert pg and pg == duck
    files = [p for name in ("target_postgres", "logs_postgres") for p in (work_dir / name).rglob("*") if p.is_file()]
    assert files and [str(p) for p in files if SERVER_SALT.encode() in p.read_bytes()] == []


def test_incremental_rerun_on_postgres_is_idempotent(
    builds: Builds, cluster: Cluster, pg_env: dict[str, str], work_dir: Path, raw_dir: Path
):
    """A second run on the same raw data takes the incremental path and gives the same kpi_metrics."""
    if not builds.postgres.built("model.cskpi.kpi_metrics"):
        pytest.fail("kpi_metrics was not built on postgres")
    cols, before = _pg_kpi_metrics(cluster)
    env = target_env(raw_dir, CSKPI_TARGET="postgres", CSKPI_THREADS="6", CSKPI_PII_SALT=SERVER_SALT, **pg_env)
    # Same target path as the first build: dbt reuses its partial parse (saves a full parse).
    proc = start_build(work_dir, "postgres", env, "--select", "+kpi_metrics", "--resource-type", "model")
    rerun = finish_build(work_dir, "postgres", proc, time.monotonic(), STEP_TIMEOUT)
    assert rerun.returncode == 0 and not rerun.failures(), (
        "incremental rerun failed:\n" + "\n".join(rerun.failures()) + "\n" + rerun.log[-3000:]
    )
    _, after = _pg_kpi_metrics(cluster)
    assert_same_rows(before, after, cols, ("first run", "rerun"))


# ---------------------------------------------------------------------------- tests: grants


@pytest.fixture(scope="session")
def analyst(builds: Builds, cluster: Cluster) -> Iterator[psycopg2.extensions.connection]:
    if not builds.postgres.run_results:
        pytest.fail("dbt did not run on PostgreSQL; grants were not applied")
    rows = cluster.query("select rolcanlogin from pg_roles where rolname = %s", (ANALYST_ROLE,))
    assert rows, f"the build did not create role {ANALYST_ROLE}"
    assert rows[0][0] is False, f"role {ANALYST_ROLE} must be NOLOGIN"
    cluster.query(f"create role {ANALYST_USER} login password %s in role {ANALYST_ROLE}", (ANALYST_PASSWORD,))
    conn = cluster.connect(ANALYST_USER, ANALYST_PASSWORD)
    yield conn
    conn.close()


def _denied(conn: psycopg2.extensions.connection, statement: str) -> bool:
    with conn.cursor() as cur:
        try:
            cur.execute(statement)
        except psycopg2.errors.InsufficientPrivilege:
            return True
    return False


def _first_relation(cluster: Cluster, schema: str, like: str) -> str:
    rows = cluster.query(
        "select schemaname || '.' || tablename from pg_tables where schemaname = %s and tablename like %s "
        "order by 1 limit 1",
        (schema, like),
    )
    assert rows, f"no relation {schema}.{like}"
    return rows[0][0]


def test_analyst_reads_marts(analyst: psycopg2.extensions.connection, cluster: Cluster):
    with analyst.cursor() as cur:
        cur.execute(f"select count(*) from {SCHEMA}.kpi_metrics")
        assert cur.fetchone()[0] > 0
        dim = _first_relation(cluster, SCHEMA, "dim\\_%")
        cur.execute(f"select count(*) from {dim}")
        assert cur.fetchone()[0] >= 0


def test_analyst_cannot_read_raw_or_staging(analyst: psycopg2.extensions.connection, cluster: Cluster):
    assert _denied(analyst, "select * from raw_helpdesk.tickets limit 1"), "analyst can read a raw table"
    stg = _first_relation(cluster, SCHEMA, "stg\\_%")
    assert _denied(analyst, f"select * from {stg} limit 1"), f"analyst can read {stg}"
    assert _denied(analyst, f"select * from {SCHEMA}.fct_quarantined_rows limit 1"), "analyst can read quarantine"


def test_analyst_cannot_write(analyst: psycopg2.extensions.connection):
    assert _denied(analyst, f"insert into {SCHEMA}.kpi_metrics (kpi_code) values ('x')"), "analyst can insert"
    assert _denied(analyst, f"create table {SCHEMA}.analyst_scratch (i integer)"), "analyst can create tables"
    assert _denied(analyst, "create schema analyst_scratch"), "analyst can create schemas"


def test_analyst_privileges_cover_exactly_the_marts(analyst: psycopg2.extensions.connection, cluster: Cluster):
    rows = cluster.query(
        "select n.nspname, c.relname, has_table_privilege(%s, c.oid, 'select'), "
        "has_table_privilege(%s, c.oid, 'insert, update, delete, truncate') "
        "from pg_class as c join pg_namespace as n on n.oid = c.relnamespace "
        "where c.relkind in ('r', 'v', 'm', 'p') and (n.nspname = %s or n.nspname like 'raw\\_%%')",
        (ANALYST_USER, ANALYST_USER, SCHEMA),
    )
    assert rows
    wrong = []
    for schema, name, can_select, can_write in rows:
        mart = (
            schema == SCHEMA
            and name.startswith(("dim_", "fct_", "kpi_", "dq_"))
            and name not in ("fct_quarantined_rows", "kpi_targets")
        )
        if can_select != mart or can_write:
            wrong.append(f"{schema}.{name}: select={can_select} write={can_write}")
    assert not wrong, "analyst privileges differ from 'marts only, read only':\n" + "\n".join(wrong)


# ---------------------------------------------------------------------------- tests: cskpi run and publish

# The data checks (dbt tests, README "Nightly checks"), as the run prints them.
DATA_CHECKS = (
    "dq_table_reconciliation:raw_rows_reconcile_with_staging",
    "dq_table_reconciliation:quarantine_rate_below_threshold",
    "fct_calls:fct_calls_row_count_matches_staging",
    "fct_tickets:fct_tickets_row_count_matches_staging",
    "kpi_metrics:daily_contacts_no_sudden_jumps",
)
RUN_TIMEOUT = 900


@dataclass
class PgRun:
    returncode: int
    stderr: str
    duckdb_path: Path
    serving: Path

    def checks(self) -> dict[str, str]:
        """Check name -> outcome (ok, FAILED, WARN) from the progress lines."""
        outcomes = {}
        for line in self.stderr.splitlines():
            for outcome in ("ok", "FAILED", "WARN"):
                marker = f"] check {outcome}"
                if marker in line:
                    outcomes[line.split(marker, 1)[1].split()[0]] = outcome
        return outcomes


def _stale_duckdb(path: Path) -> None:
    """A warehouse file of an earlier, unrelated DuckDB build: other counts, one bogus KPI row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create table stg_shop__orders as select range as order_id from range(1200)")
    con.execute(
        "create table dq_table_reconciliation as select 'shop/orders' as source_table, 325801 as raw_rows, "
        "0 as duplicate_rows, 0 as quarantined_rows, 325801 as accepted_rows, 0.0 as quarantine_rate"
    )
    con.execute(
        "create table kpi_metrics as select 'month' as period_grain, date '1999-01-01' as period_start, "
        "'XX' as market_code, 'all' as channel, 'csat' as kpi_code, 1.0 as numerator, 1.0 as denominator, "
        "100.0 as value, 'percent' as unit, 0.0 as target, true as meets_target"
    )
    con.execute("create table dim_markets as select 'XX' as market_code")
    con.close()


def _duckdb_path(work_dir: Path, name: str) -> Path:
    return work_dir / name / "warehouse" / "cskpi.duckdb"


def _cskpi_run(work_dir: Path, raw_dir: Path, pg_env: dict[str, str], name: str) -> PgRun:
    """`cskpi run` on the PostgreSQL target, its DuckDB path and serving folder under work_dir/name."""
    base = work_dir / name
    duck_path, serving = _duckdb_path(work_dir, name), base / "serving"
    env = target_env(
        raw_dir,
        CSKPI_TARGET="postgres",
        CSKPI_DUCKDB_PATH=str(duck_path),
        CSKPI_SERVING_DIR=str(serving),
        CSKPI_ALERT_FILE=str(base / "alerts.jsonl"),
        **pg_env,
    )
    proc = subprocess.run(
        [str(BIN / "cskpi"), "run"], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    return PgRun(proc.returncode, proc.stderr, duck_path, serving)


@pytest.fixture(scope="session")
def run_without_duckdb(builds: Builds, pg_env: dict[str, str], work_dir: Path, raw_dir: Path) -> PgRun:
    return _cskpi_run(work_dir, raw_dir, pg_env, "run_no_duckdb")


@pytest.fixture(scope="session")
def run_beside_stale_duckdb(
    run_without_duckdb: PgRun, pg_env: dict[str, str], work_dir: Path, raw_dir: Path
) -> tuple[PgRun, str]:
    duck_path = _duckdb_path(work_dir, "run_stale")
    _stale_duckdb(duck_path)
    digest = hashlib.sha256(duck_path.read_bytes()).hexdigest()
    return _cskpi_run(work_dir, raw_dir, pg_env, "run_stale"), digest


def _assert_run_on_postgres(run: PgRun, cluster: Cluster) -> None:
    assert run.returncode == 0, run.stderr[-4000:]
    assert f"warehouse: PostgreSQL postgresql://{DBT_USER}@127.0.0.1:{cluster.port}/{DATABASE} (schema {SCHEMA})" in (
        run.stderr
    )
    checks = run.checks()
    # the same data checks as on DuckDB, evaluated on PostgreSQL's tables
    assert set(DATA_CHECKS) <= set(checks), set(DATA_CHECKS) - set(checks)
    assert all(checks[c] in ("ok", "WARN") for c in DATA_CHECKS), {c: checks[c] for c in DATA_CHECKS}
    assert "published:" in run.stderr
    cols, published = duckdb_kpi_metrics(run.serving / "current" / "cskpi.duckdb")
    pg_cols, pg = _pg_kpi_metrics(cluster)
    assert sorted(cols) == sorted(pg_cols)
    assert len(published) > 0
    assert_same_rows(published, pg, pg_cols, ("published", "postgres"))


def test_cskpi_run_on_postgres_without_a_duckdb_file(run_without_duckdb: PgRun, cluster: Cluster):
    _assert_run_on_postgres(run_without_duckdb, cluster)
    assert not run_without_duckdb.duckdb_path.exists(), "a PostgreSQL run created a DuckDB warehouse file"


def test_cskpi_run_on_postgres_ignores_a_stale_duckdb_file(run_beside_stale_duckdb: tuple[PgRun, str], cluster):
    run, digest = run_beside_stale_duckdb
    _assert_run_on_postgres(run, cluster)  # published rows are PostgreSQL's, not the stale file's one
    assert "325801" not in run.stderr and "1200" not in run.stderr
    assert hashlib.sha256(run.duckdb_path.read_bytes()).hexdigest() == digest, "the stale DuckDB file was touched"


def test_publish_of_postgres_is_one_consistent_snapshot(run_without_duckdb: PgRun, cluster: Cluster):
    """Every published mart equals its PostgreSQL table, row count and content."""
    from cskpi.publish import RUN_LOG_TABLES, is_published

    con = duckdb.connect(str(run_without_duckdb.serving / "current" / "cskpi.duckdb"), read_only=True)
    try:
        published = dict(con.execute("select table_name, row_count from serving_tables").fetchall())
    finally:
        con.close()
    names = [r[0] for r in cluster.query(
        "select tablename from pg_tables where schemaname = %s union select viewname from pg_views "
        "where schemaname = %s", (SCHEMA, SCHEMA)
    ) if is_published(r[0])]  # fmt: skip
    assert sorted(published) == sorted(names)
    # the run logs gain rows with every later run on the same schema (other tests here run again)
    for name in (n for n in names if n not in RUN_LOG_TABLES):
        assert published[name] == cluster.query(f"select count(*) from {SCHEMA}.{name}")[0][0], name
