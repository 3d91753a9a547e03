"""PII and the values that reach SQL: the salt stays a secret, vars and paths cannot become SQL.

- the public demo salt is refused outside the demo (cskpi build, cskpi run, the Dagster dbt step);
- a custom salt is read inside the database session: it is in no file under target/ or logs/,
  and the hashes are still sha256(salt || value);
- every var that reaches SQL is checked before dbt runs and inside dbt (checked_var);
- a landing folder with an apostrophe builds.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from fixtures.builds import target_env

from cskpi import pii
from cskpi.cli import main
from cskpi.dbt_args import parse_vars
from cskpi.dbt_vars import VAR_RULES, VarError, check_var, check_vars, render_macro

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SALT = "Test-Salt-9f3c2a7b41d8e6f0_kept.secret"
GENERATE = ["--start", "2024-01-01", "--days", "30", "--markets", "RO,PL", "--scale", "0.03", "--dirt", "0"]


# ---------------------------------------------------------------------------- the salt


@pytest.fixture()
def no_demo(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Outside the demo: no CSKPI_DEMO (tests/conftest.py sets it) and no salt."""
    monkeypatch.delenv(pii.DEMO_ENV, raising=False)
    monkeypatch.delenv(pii.SALT_ENV, raising=False)
    return monkeypatch


def test_the_demo_salt_is_refused_outside_the_demo():
    for environ in ({}, {"CSKPI_PII_SALT": ""}, {"CSKPI_PII_SALT": pii.DEMO_SALT}, {"CSKPI_DEMO": "0"}):
        with pytest.raises(pii.PiiSaltError, match="CSKPI_PII_SALT is not set.*export CSKPI_PII_SALT="):
            pii.check_salt(environ)
    pii.check_salt({"CSKPI_DEMO": "1"})
    pii.check_salt({"CSKPI_PII_SALT": SALT})
    assert pii.pii_salt({"CSKPI_DEMO": "1"}) == pii.DEMO_SALT and pii.pii_salt({"CSKPI_PII_SALT": SALT}) == SALT


@pytest.mark.parametrize("salt", ["short-salt", "has a space in it ok", "quote'in-the-salt-x", "semi;colon-salt-value"])
def test_a_short_or_unquotable_salt_is_refused(salt):
    with pytest.raises(pii.PiiSaltError, match="at least 16 characters"):
        pii.check_salt({"CSKPI_PII_SALT": salt})


def test_postgres_sessions_get_the_salt_through_pgoptions():
    env = {"CSKPI_PII_SALT": SALT, "PGOPTIONS": "-c statement_timeout=0 -c cskpi.pii_salt=old-one"}
    assert pii.session_env(env) == {"PGOPTIONS": f"-c statement_timeout=0 -c cskpi.pii_salt={SALT}"}
    assert pii.session_env({"CSKPI_DEMO": "1"}) == {"PGOPTIONS": "-c cskpi.pii_salt=cskpi-demo-salt"}


def test_cskpi_build_refuses_the_demo_salt_in_one_line(no_demo, capsys):
    assert main(["build"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cskpi build: CSKPI_PII_SALT is not set") and "export CSKPI_PII_SALT=" in err
    assert "\n" not in err and "Traceback" not in err


def test_cskpi_run_refuses_the_demo_salt_in_one_line(no_demo, capsys):
    from cskpi.cli import build_parser
    from orchestration.runner import EXIT_USAGE

    args = build_parser().parse_args(["run"])
    assert args.func(args) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert err.startswith("cskpi run: CSKPI_PII_SALT is not set") and "\n" not in err


def test_the_dagster_dbt_step_refuses_the_demo_salt(no_demo, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from orchestration.assets.dbt import cskpi_dbt_assets
        from orchestration.definitions import defs
    no_demo.setenv("CSKPI_DUCKDB_PATH", str(tmp_path / "wh.duckdb"))
    result = dg.materialize(
        [cskpi_dbt_assets],
        resources={key: defs.resources[key] for key in ("dbt", "warehouse")},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failures and "CSKPI_PII_SALT is not set" in str(failures[0].event_specific_data.error)
    assert not (tmp_path / "wh.duckdb").exists()  # refused before dbt opened the warehouse


# ---------------------------------------------------------------------------- vars

HOSTILE = [
    ("service_level_seconds", "1; select 1"),
    ("fcr_window_days", "'/etc/hostname'"),
    ("short_abandon_seconds", "5 or 1=1"),
    ("csat_positive_min", 4.5),
    ("churn_inactivity_days", True),
    ("diagnostics_min_contacts", -1),
    ("future_tolerance_minutes", "5 minute"),
    ("quarantine_rate_threshold", "0.05)) or ((1"),
    ("contact_jump_factor", 0.5),
    ("lookback_days", 99999),
    ("raw_format", "parquet'), read_csv('/etc/hostname"),
    ("analyst_role", "analyst; drop schema analytics"),
    ("ticket_first_reply_seconds", {"email": "1) or (1=1"}),
    ("ticket_first_reply_seconds", {"chat'": 300}),
]


@pytest.mark.parametrize(("name", "value"), HOSTILE)
def test_hostile_vars_are_refused_naming_the_var(name, value):
    with pytest.raises(VarError, match=rf"^var {name}"):
        parse_vars(json.dumps({name: value}))


def test_sql_in_the_kpi_catalogue_is_refused():
    catalogue = {"kpis": [{"code": "x", "numerator": "a'); select 1 --", "denominator": "b"}]}
    with pytest.raises(VarError, match=r"var kpi_catalogue.kpis\[x\].numerator"):
        check_var("kpi_catalogue", catalogue)


def test_good_vars_and_the_project_defaults_pass():
    check_vars({"service_level_seconds": 30, "fcr_window_days": "3", "quarantine_rate_threshold": 0.2})
    check_vars({"ticket_first_reply_seconds": {"email": 3600}, "raw_format": "csv", "analyst_role": "bi_reader"})
    project = _project_vars()
    for name, value in project.items():
        if "{{" not in str(value):  # env-rendered defaults are checked by dbt
            check_var(name, value)


def test_an_unknown_var_is_refused():
    with pytest.raises(VarError, match="unknown var.*fcr_window_day;"):
        parse_vars('{"fcr_window_day": 3}')


def test_cskpi_build_refuses_a_hostile_var_before_dbt(capsys):
    assert main(["build", "--vars", '{"service_level_seconds": "1; select 1"}']) == 2
    err = capsys.readouterr().err
    assert "var service_level_seconds='1; select 1' must be a whole number between 1 and 86400" in err


def _project_vars() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]


def test_every_var_has_a_rule_and_is_read_through_checked_var():
    assert set(_project_vars()) <= set(VAR_RULES)
    raw_var = re.compile(r"(?<![\w.])var\('")
    offenders = []
    for path in [*(ROOT / "models").rglob("*.sql"), *(ROOT / "macros").rglob("*.sql")]:
        if path.parent.name == "vars":
            continue
        text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)  # Jinja comments
        for number, line in enumerate(text.splitlines(), 1):
            if raw_var.search(line) and not line.lstrip().startswith("--"):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "read vars with checked_var():\n" + "\n".join(offenders)


def test_the_dbt_var_rules_macro_is_generated_from_the_python_rules():
    assert (ROOT / "macros" / "vars" / "var_rules.sql").read_text() == render_macro()


def _dbt(env: dict[str, str], work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [str(BIN / "dbt"), *args, "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_plain_dbt_refuses_hostile_vars_at_compile(tmp_path):
    env = target_env(tmp_path / "raw", CSKPI_DUCKDB_PATH=str(tmp_path / "wh.duckdb"))
    catalogue = {"units": {}, "channels": {}, "kpis": [{"code": "x", "numerator": "1; select 1", "denominator": "b"}]}
    hostile = [
        ("int_calls__enriched", {"service_level_seconds": "1; select 1"}, "must be a whole number"),
        ("int_tickets__enriched", {"ticket_first_reply_seconds": {"email": "1) or (1=1"}}, "must be a whole number"),
        ("kpi_definitions", {"kpi_catalogue": catalogue}, "must be a SQL expression"),
    ]
    for select, value, accepts in hostile:
        done = _dbt(env, tmp_path, "compile", "--select", select, "--vars", json.dumps(value))
        assert done.returncode != 0
        assert re.search(rf"var {next(iter(value))}[^ ]*='[^\n]*' {accepts}", done.stdout), done.stdout[-3000:]


# ---------------------------------------------------------------------------- a build


@pytest.fixture(scope="module")
def salted_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`cskpi build` (not the demo) with a custom salt, from a landing folder with an apostrophe."""
    work = tmp_path_factory.mktemp("salted")
    raw = work / "o'brien landing"
    gen = subprocess.run([str(BIN / "cskpi"), "generate", "--out", str(raw), *GENERATE, "--quiet"], cwd=ROOT)
    assert gen.returncode == 0
    env = target_env(
        raw,
        CSKPI_PII_SALT=SALT,
        CSKPI_DUCKDB_PATH=str(work / "wh.duckdb"),
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
        # only the tests of the selected models (the others would read models not built here)
        DBT_INDIRECT_SELECTION="cautious",
    )
    del env["CSKPI_DEMO"]
    done = subprocess.run(
        [str(BIN / "cskpi"), "build", "--select", "+dim_agents"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    return work, done


def test_a_landing_folder_with_an_apostrophe_builds(salted_build):
    work, done = salted_build
    assert done.returncode == 0, done.stderr[-3000:]
    assert "dbt build succeeded" in done.stderr


def test_the_salt_is_in_no_file_under_target_or_logs(salted_build):
    work, done = salted_build
    assert done.returncode == 0, done.stderr[-3000:]
    files = [p for folder in ("target", "logs") for p in (work / folder).rglob("*") if p.is_file()]
    assert any(p.name == "manifest.json" for p in files) and any(p.suffix == ".log" for p in files)
    # the compiled SQL and the SQL dbt logs read the salt from the session instead
    compiled = "\n".join(p.read_text() for p in files if p.name == "base_workforce__agents.sql")
    assert "getvariable('cskpi_pii_salt')" in compiled
    assert "getvariable('cskpi_pii_salt')" in (work / "logs" / "dbt.log").read_text()
    holding = [str(p) for p in files if SALT.encode() in p.read_bytes()]
    assert holding == []
    assert SALT not in done.stdout + done.stderr


def test_hashes_are_the_salted_sha256_of_the_value(salted_build):
    work, done = salted_build
    assert done.returncode == 0, done.stderr[-3000:]
    agents = duckdb.sql(f"select agent_id, full_name, email from read_parquet('{_glob(work)}')").fetchall()
    con = duckdb.connect(str(work / "wh.duckdb"), read_only=True)
    rows = con.execute("select agent_id, full_name_hash, email_hash from stg_workforce__agents").fetchall()
    hashed = {row[0]: row[1:] for row in rows}
    assert agents and hashed
    for agent_id, full_name, email in agents:
        expected = tuple(hashlib.sha256((SALT + value).encode()).hexdigest() for value in (full_name, email))
        assert hashed[agent_id] == expected


def _glob(work: Path) -> str:
    return str(work / "o'brien landing" / "workforce" / "agents" / "*.parquet").replace("'", "''")
