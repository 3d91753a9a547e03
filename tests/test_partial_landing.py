"""A telephony-only company: only telephony/calls and one reference market file land, the other
ten raw tables are absent.

Generates a small set, moves its calls to a market the shipped reference data does not have
(Israel, added through reference/markets: local days in Asia/Jerusalem), keeps them with every
disposition blanked (a call centre that
records none, so no resolution outcome is known), writes them with the landing fixtures and
runs ``cskpi build`` and ``cskpi publish`` on it. The run must pass its ERROR checks and
publish; the summary names the absent systems once; the call KPIs equal a plain pandas
computation from the calls file; FCR and every KPI whose input is absent are null (never 0);
the agents and customers the calls name are inferred dimension members; the reconciliation
balances (0 = 0 for the absent tables). A present table missing a required column still stops
the run with the contract message.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from fixtures.builds import PROJECT, target_env
from fixtures.landing import write_landing, write_reference

from cskpi.contract import TABLES
from cskpi.partial import describe_absent, parse_absent

BIN = Path(sys.executable).parent
CALLS = "telephony/calls"
GENERATED_MARKET = "RO"
MARKET = "IL"  # not shipped: added by the reference/markets file below
TIMEZONE = ZoneInfo("Asia/Jerusalem")
REFERENCE_MARKETS = (
    "market_code,country,currency,timezone,language,launched_on\nIL,Israel,ILS,Asia/Jerusalem,he,2020-01-01\n"
)
SERVICE_LEVEL_SECONDS = 20  # dbt_project.yml vars
SHORT_ABANDON_SECONDS = 5
ABSENT_LINE = "telephony only: helpdesk, shop, workforce, finance, surveys absent"


def _generated_calls(work: Path) -> list[dict]:
    out = work / "generated"
    subprocess.run(
        [str(BIN / "cskpi"), "generate", "--out", str(out), "--start", "2024-03-01", "--days", "40",
         "--markets", GENERATED_MARKET, "--scale", "0.05", "--dirt", "0", "--quiet"],
        check=True, cwd=PROJECT,
    )
    rows = pq.read_table(sorted((out / CALLS).glob("*.parquet"))).to_pylist()
    for row in rows:
        row["disposition"] = None  # nothing recorded: no call is known to be resolved
        row["market_code"] = MARKET
    return rows


def _env(work: Path, raw_dir: Path) -> dict[str, str]:
    return target_env(
        raw_dir,
        CSKPI_DUCKDB_PATH=str(work / "warehouse" / "cskpi.duckdb"),
        CSKPI_SERVING_DIR=str(work / "serving"),
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
    )


def _cskpi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "cskpi"), *args], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def telephony_only(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("telephony_only")
    calls = _generated_calls(work)
    raw_dir = work / "raw"
    others = tuple(t.path for t in TABLES if t.path != CALLS)
    write_landing(raw_dir, {CALLS: calls}, skip=others)
    write_reference(raw_dir, {"markets": REFERENCE_MARKETS})
    env = _env(work, raw_dir)
    build = _cskpi(env, "build")
    publish = _cskpi(env, "publish") if build.returncode == 0 else None
    return {"work": work, "calls": calls, "env": env, "build": build, "publish": publish}


@pytest.fixture(scope="module")
def con(telephony_only: dict) -> duckdb.DuckDBPyConnection:
    assert telephony_only["build"].returncode == 0, telephony_only["build"].stderr[-4000:]
    connection = duckdb.connect(telephony_only["env"]["CSKPI_DUCKDB_PATH"], read_only=True)
    yield connection
    connection.close()


def _expected_monthly_call_kpis(calls: list[dict]) -> pd.DataFrame:
    """The call KPIs of docs/kpis.md per local month, from the raw rows with pandas only."""
    df = pd.DataFrame(calls).sort_values("_loaded_at").drop_duplicates("call_id", keep="last")
    df = df[(df["direction"] == "inbound") & df["queue_entered_at"].notna()]  # offered
    local = pd.to_datetime(df["started_at"]).dt.tz_localize("UTC").dt.tz_convert(TIMEZONE)
    df = df.assign(month=local.dt.tz_localize(None).dt.to_period("M").dt.start_time.dt.date)
    for col in ("queue_seconds", "talk_seconds", "hold_seconds", "after_call_work_seconds"):
        df[col] = df[col].fillna(0)
    short = (df["outcome"] == "abandoned") & (df["queue_seconds"] < SHORT_ABANDON_SECONDS)
    incoming = df[~short]
    rows = []
    for month, g in incoming.groupby("month"):
        answered = g[g["outcome"] == "answered"]
        handle = g["queue_seconds"] + g["talk_seconds"] + g["hold_seconds"] + g["after_call_work_seconds"]
        rows.append(
            {
                "month": month,
                "service_level": 100 * (answered["queue_seconds"] <= SERVICE_LEVEL_SECONDS).sum() / len(g),
                "avg_response_time": g["queue_seconds"].sum() / len(g),
                "avg_speed_of_answer": answered["queue_seconds"].sum() / len(answered),
                "aht": handle.sum() / len(g),
                "aht_agent": (answered["talk_seconds"] + answered["hold_seconds"]
                              + answered["after_call_work_seconds"]).sum() / len(answered),
                "avg_call_duration": (answered["talk_seconds"] + answered["hold_seconds"]).sum() / len(answered),
                "call_abandonment_rate": 100 * (g["outcome"] == "abandoned").sum() / len(g),
            }
        )
    return pd.DataFrame(rows).set_index("month")


def test_build_passes_its_error_checks_and_publishes(telephony_only: dict) -> None:
    build, publish = telephony_only["build"], telephony_only["publish"]
    assert build.returncode == 0, build.stderr[-4000:]
    assert "dbt build succeeded" in build.stderr
    assert publish is not None and publish.returncode == 0, (publish.stderr if publish else "")[-3000:]
    assert (telephony_only["work"] / "serving" / "current" / "cskpi.duckdb").exists()


def test_summary_names_the_absent_systems_once(telephony_only: dict) -> None:
    assert telephony_only["build"].stderr.count(ABSENT_LINE) == 1, telephony_only["build"].stderr[-2000:]


def test_call_kpis_equal_a_pandas_computation_of_the_calls_file(
    telephony_only: dict, con: duckdb.DuckDBPyConnection
) -> None:
    expected = _expected_monthly_call_kpis(telephony_only["calls"])
    assert len(expected) >= 2  # the set spans two local months
    got = con.execute(
        "select period_start, kpi_code, value from kpi_metrics "
        "where period_grain = 'month' and market_code = ? and channel = 'phone'",
        [MARKET],
    ).fetchdf()
    got = got.pivot(index="period_start", columns="kpi_code", values="value")
    got.index = [pd.Timestamp(d).date() for d in got.index]
    for code in expected.columns:
        for month, value in expected[code].items():
            assert got.loc[month, code] == pytest.approx(value, rel=1e-9), (code, month)


def test_unknown_inputs_are_null_never_zero(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select kpi_code, count(*), count(value), count(numerator) from kpi_metrics "
        "where kpi_code in ('first_contact_resolution', 'csat', 'ces', 'nps', 'esat', "
        "'cost_per_interaction', 'cost_per_resolution', 'churn_rate', 'interactions_per_order') "
        "group by kpi_code"
    ).fetchall()
    assert {r[0] for r in rows} >= {"first_contact_resolution", "cost_per_interaction", "csat"}
    for code, total, values, numerators in rows:
        assert total > 0 and values == 0 and numerators == 0, code
    # the contacts are there: FCR has a denominator, only its outcome is unknown
    handled = con.execute(
        "select sum(denominator) from kpi_metrics where kpi_code = 'first_contact_resolution' "
        "and period_grain = 'month' and channel = 'phone'"
    ).fetchone()[0]
    assert handled > 0


def test_agents_and_customers_the_calls_name_are_inferred_members(
    telephony_only: dict, con: duckdb.DuckDBPyConnection
) -> None:
    calls = pd.DataFrame(telephony_only["calls"])
    for dim, key in (("dim_agents", "agent_id"), ("dim_customers", "customer_id")):
        members = con.execute(f"select {key}, is_inferred, market_code from {dim}").fetchall()
        assert {m[0] for m in members} == set(calls[key].dropna()), dim
        assert all(m[1] is True and m[2] == MARKET for m in members), dim
    # the warning-severity checks count them per market and name a few (stored failing rows)
    for check, key in (("inferred_agents", "agent_id"), ("inferred_customers", "customer_id")):
        rows = con.execute(f"select market_code, inferred_count, message from main_dbt_test__audit.{check}").fetchall()
        ids = sorted(set(calls[key].dropna()))
        assert [(r[0], r[1]) for r in rows] == [(MARKET, len(ids))], check
        assert rows[0][2].startswith(f"dim_{check.split('_')[1]}: {len(ids)} inferred members in market {MARKET}")
        assert ", ".join(ids[:5]) in rows[0][2], check


def test_reconciliation_balances_with_absent_tables_as_zero(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select source_table, is_present, raw_rows, accepted_rows, quarantined_rows, duplicate_rows "
        "from dq_table_reconciliation"
    ).fetchall()
    assert {r[0] for r in rows} == {t.path for t in TABLES}
    for path, present, raw, accepted, quarantined, duplicates in rows:
        assert raw == accepted + quarantined + duplicates, path
        assert present == (path == CALLS), path
        if path != CALLS:
            assert raw == 0, path
    calls_raw = next(r[2] for r in rows if r[0] == CALLS)
    assert calls_raw > 0


def test_a_present_table_missing_a_required_column_still_stops_the_run(
    telephony_only: dict, tmp_path: Path
) -> None:
    raw_dir = tmp_path / "raw"
    others = tuple(t.path for t in TABLES if t.path != CALLS)
    write_landing(raw_dir, {CALLS: telephony_only["calls"][:50]}, skip=others, drop_columns={CALLS: "queue"})
    env = _env(tmp_path, raw_dir)
    build = _cskpi(env, "build")
    assert build.returncode == 1
    assert "telephony/calls: missing required column(s) queue" in build.stderr + build.stdout


def test_absent_line_names_whole_systems_by_name_and_single_tables_by_path() -> None:
    everything_but_calls = [t.path for t in TABLES if t.path != CALLS]
    assert describe_absent(everything_but_calls) == ABSENT_LINE
    assert describe_absent([]) is None
    assert describe_absent(["helpdesk/satisfaction_ratings"]) == "partial landing: helpdesk/satisfaction_ratings absent"
    shop_and_ratings = ["shop/orders", "shop/customers", "helpdesk/satisfaction_ratings"]
    assert describe_absent(shop_and_ratings) == "partial landing: shop, helpdesk/satisfaction_ratings absent"
    assert parse_absent("absent raw tables: shop/orders, telephony/calls") == ["shop/orders", "telephony/calls"]
    assert parse_absent("some other log line") is None


def test_a_raw_folder_without_any_table_stops_the_run(tmp_path: Path) -> None:
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    build = _cskpi(_env(tmp_path, raw_dir), "build")
    assert build.returncode == 1
    assert "no raw table found: every table is absent" in build.stderr + build.stdout
