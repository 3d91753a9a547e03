"""Reference data that lands like raw data (reference/markets, fx_rates, kpi_targets), the ECB
FX seed, its carry-forward and coverage checks, and `cskpi check-landing`.

Three hand-made landing folders, built in parallel (seeds, staging and the FX-converting
intermediate models, with their tests):
- good: a market added only through reference/markets (Israel: Asia/Jerusalem, ILS), an FX
  override, a KPI-target override, and RUB orders in the carry-forward window after the ECB's
  last RUB rate (provisional, warning);
- bad_reference: a time zone and a currency nobody knows, a code that is no country, a
  duplicate key;
- no_rate: orders whose currency-month no rate covers (before the ECB history; RUB past the
  carry-forward window).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from fixtures.builds import PROJECT, Build, finish_build, start_build, target_env
from fixtures.landing import (
    L1,
    agent,
    at,
    call,
    cost,
    customer,
    event,
    order,
    rating,
    ticket,
    write_landing,
    write_reference,
)

from cskpi.reference.ecb import daily_rates

pytestmark = pytest.mark.slow

AUDIT = "main_dbt_test__audit"
SELECT = (
    "--select",
    "path:seeds",
    "path:models/staging/reference",
    "+int_orders__localized",
    "+int_operating_costs__eur",
    "+int_calls__enriched",
    # the KPI targets test their codes against the catalogue model
    "kpi_definitions",
    "--indirect-selection",
    "cautious",
)
CSKPI = str(Path(sys.executable).with_name("cskpi"))

MARKETS_HEADER = "market_code,country,currency,timezone,language,launched_on\n"
# The new market: outside Europe, a currency outside the demo's five.
ISRAEL = "IL,Israel,ILS,Asia/Jerusalem,he,2024-05-01\n"


def _old_order(oid: str, ordered_at: dt.datetime, currency: str, amount: float) -> dict:
    return order(oid, "K1", ordered_at=ordered_at, updated_at=ordered_at, currency=currency, total_amount=amount)


def _landing(orders: list[dict]) -> dict[str, list[dict]]:
    return {
        "helpdesk/tickets": [ticket("T1")],
        "helpdesk/ticket_events": [event("E1", "T1")],
        "helpdesk/satisfaction_ratings": [rating("R1", "T1", None)],
        # C_IL starts 2024-06-01 21:30 UTC: 00:30 on 2 June in Jerusalem (UTC+3 in summer)
        "telephony/calls": [call("C1"), call("C_IL", market_code="IL", customer_id="K3", started_at=at(11.5),
                                              queue_entered_at=at(11.51), answered_at=at(11.52), ended_at=at(11.7))],
        "shop/orders": orders,
        "shop/customers": [customer("K1", "RO", "a@x.example"), customer("K2", "PL", "b@x.example"),
                           customer("K3", "IL", "c@x.example")],
        "workforce/agents": [agent("A1")],
        "workforce/employee_surveys": [
            {"response_id": "S1", "agent_id": "A1", "survey_date": dt.date(2024, 6, 1), "score": 4, "_loaded_at": L1}
        ],
        "finance/operating_costs": [
            cost(dt.date(2024, 6, 1), "RO", "salaries", 1000.0),
            cost(dt.date(2024, 6, 1), "IL", "salaries", 4000.0, currency="ILS"),
        ],
        "surveys/nps_responses": [
            {"response_id": "N1", "customer_id": "K1", "market_code": "RO", "responded_at": at(2), "score": 9,
             "_loaded_at": L1}
        ],
        "surveys/ces_responses": [
            {"response_id": "CE1", "customer_id": "K2", "ticket_id": None, "call_id": "C1", "responded_at": at(2),
             "score": 6, "_loaded_at": L1}
        ],
    }


# 2024-05-31 22:30 UTC is 2024-06-01 01:30 in Jerusalem: a June order there, at the June rate
IL_ORDER_AT = dt.datetime(2024, 5, 31, 22, 30)
GOOD_ORDERS = [
    order("O_RO", "K1"),  # RON 120.5, 2024-05-30: the landed RON override for May applies
    order("O_IL", "K3", market_code="IL", ordered_at=IL_ORDER_AT, updated_at=IL_ORDER_AT, currency="ILS",
          total_amount=400.0),
    # the ECB publishes RUB until 2022-03: April-June carry that rate forward (provisional)
    _old_order("O_RUB_PROV", dt.datetime(2022, 6, 15, 12), "RUB", 1000.0),
]
NO_RATE_ORDERS = [
    order("O_RO", "K1"),
    _old_order("O_GBP_1998", dt.datetime(1998, 6, 15, 12), "GBP", 50.0),  # before the ECB history
    _old_order("O_RUB_LATE", dt.datetime(2022, 7, 15, 12), "RUB", 1000.0),  # 4 months after 2022-03
]


def _write(raw: Path, orders: list[dict], reference: dict[str, str]) -> Path:
    write_landing(raw, _landing(orders))
    return write_reference(raw, reference)


GOOD_REFERENCE = {
    "markets": MARKETS_HEADER + ISRAEL,
    "fx_rates": "rate_month,currency,eur_per_unit\n2024-05-01,RON,0.25\n",
    "kpi_targets": "market_code,kpi_code,target_value\nRO,service_level,95\nIL,csat,90\n",
    # a new Romanian policy (empty priority: all) and an override of the shipped chat first reply
    "sla_policies": "market_code,channel,priority,metric,target_minutes,business_hours,valid_from\n"
    "ro,email,,first_reply,30,true,2024-01-01\n*,chat,all,first_reply,15,false,2000-01-01\n",
}
BAD_REFERENCE = {
    "markets": MARKETS_HEADER
    + "IL,Israel,ILS,Asia/Jerusalm,he,2024-05-01\n"  # typo: no such zone
    + "SE,Sweden,SEKK,Europe/Stockholm,sv,2024-05-01\n"  # no such currency
    + "XK,Nowhere,EUR,Europe/Berlin,de,2024-05-01\n"  # no ISO 3166 country
    + "NO,Norway,NOK,Europe/Oslo,no,2024-05-01\n"
    + "NO,Norway,NOK,Europe/Oslo,nb,2024-05-01\n",  # duplicate key
}


@dataclass
class Landed:
    raw: Path
    db: Path
    build: Build

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql).fetchall()

    def messages(self, test: str) -> list[str]:
        return [row[0] for row in self.query(f"select message from {AUDIT}.{test} order by message")]

    def status(self, test: str) -> str:
        return next(r["status"] for r in self.build.run_results if r["unique_id"].split(".")[2] == test)


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Landed]:
    work = tmp_path_factory.mktemp("reference")
    sets = {
        "good": _write(work / "good" / "raw", GOOD_ORDERS, GOOD_REFERENCE),
        "bad_reference": _write(work / "bad_reference" / "raw", GOOD_ORDERS[:1], BAD_REFERENCE),
        "no_rate": _write(work / "no_rate" / "raw", NO_RATE_ORDERS, {"markets": MARKETS_HEADER + ISRAEL}),
    }
    started = time.monotonic()
    procs = {}
    for name, raw in sets.items():
        db = work / name / "wh.duckdb"
        env = target_env(raw, CSKPI_DUCKDB_PATH=str(db), CSKPI_QUARANTINE_THRESHOLD="1", CSKPI_THREADS="2")
        procs[name] = (db, start_build(work / name, name, env, *SELECT))
    return {
        name: Landed(sets[name], db, finish_build(work / name, name, proc, started, timeout=600))
        for name, (db, proc) in procs.items()
    }


def _ecb_eur_per_unit(currency: str, month: dt.date) -> float:
    """By hand from the ECB daily quotes: 1 / mean of the month's units-per-EUR quotes."""
    quotes = [v for day, v in daily_rates()[currency].items() if (day.year, day.month) == (month.year, month.month)]
    return 1 / (sum(quotes) / len(quotes))


def test_new_market_from_reference_gets_local_periods_and_ecb_eur(landed: dict[str, Landed]) -> None:
    good = landed["good"]
    assert good.build.returncode == 0, good.build.failures() or good.build.log[-3000:]
    [(date_local, amount_eur, rate, provisional)] = good.query(
        "select ordered_date_local, total_amount_eur, eur_per_unit, fx_is_provisional"
        " from main.int_orders__localized where order_id = 'O_IL'"
    )
    assert date_local == dt.date(2024, 6, 1)  # local, not the UTC date 2024-05-31
    june_ils = _ecb_eur_per_unit("ILS", dt.date(2024, 6, 1))
    assert float(rate) == pytest.approx(june_ils, rel=1e-9)
    assert float(amount_eur) == pytest.approx(400.0 * june_ils, rel=1e-9)  # ~ 99.8 EUR
    assert provisional is False
    [(started_local,)] = good.query("select started_at_local from main.int_calls__enriched where call_id = 'C_IL'")
    assert started_local == dt.datetime(2024, 6, 2, 0, 30)  # 21:30 UTC + 3 h: the next local day
    [(cost_eur,)] = good.query("select amount_eur from main.int_operating_costs__eur where market_code = 'IL'")
    assert float(cost_eur) == pytest.approx(4000.0 * june_ils, rel=1e-9)
    # the IL rows are accepted, not quarantined as unknown_market
    assert good.query("select count(*) from main.stg_telephony__calls where market_code = 'IL'") == [(1,)]


def test_landed_rows_override_the_shipped_defaults_by_key(landed: dict[str, Landed]) -> None:
    good = landed["good"]
    assert good.query("select eur_per_unit, origin from main.stg_reference__fx_rates"
                      " where currency = 'RON' and rate_month = date '2024-05-01'") == [(pytest.approx(0.25), "landed")]
    [(amount_eur,)] = good.query("select total_amount_eur from main.int_orders__localized where order_id = 'O_RO'")
    assert float(amount_eur) == pytest.approx(120.5 * 0.25)
    rows = good.query("select market_code, kpi_code, target_value, origin from main.stg_reference__kpi_targets")
    targets = {(m, k): (float(v), o) for m, k, v, o in rows}
    assert targets[("RO", "service_level")] == (95.0, "landed")
    assert targets[("IL", "csat")] == (90.0, "landed")
    assert targets[("PL", "service_level")][1] == "shipped"  # the other shipped rows stay
    shipped = good.query("select count(*) from main.kpi_targets")[0][0]
    assert good.query("select count(*) from main.stg_reference__kpi_targets") == [(shipped + 1,)]
    policies = good.query(
        "select policy_key, target_minutes, business_hours, specificity, origin from main.stg_reference__sla_policies"
    )
    by_key = {k: rest for k, *rest in policies}
    assert by_key["RO|email|all|first_reply|2024-01-01"] == [30, True, 6, "landed"]  # codes normalised
    assert by_key["*|chat|all|first_reply|2000-01-01"] == [15, False, 2, "landed"]  # replaces the shipped 10
    assert by_key["*|all|urgent|first_reply|2000-01-01"][-1] == "shipped"
    shipped_policies = good.query("select count(*) from main.sla_policies")[0][0]
    assert len(policies) == shipped_policies + 1
    markets = good.query("select market_code, origin from main.stg_reference__markets order by market_code")
    assert ("IL", "landed") in markets and ("RO", "shipped") in markets


def test_carry_forward_is_provisional_with_a_warning(landed: dict[str, Landed]) -> None:
    good = landed["good"]
    [(rate, provisional, published)] = good.query(
        "select eur_per_unit, fx_is_provisional, fx_published_month from main.int_orders__localized"
        " where order_id = 'O_RUB_PROV'"
    )
    assert provisional is True and published == dt.date(2022, 3, 1)
    assert float(rate) == pytest.approx(_ecb_eur_per_unit("RUB", dt.date(2022, 3, 1)), rel=1e-9)
    assert good.status("fx_rate_not_provisional_orders") == "warn"
    assert good.messages("fx_rate_not_provisional_orders") == [
        "provisional FX rate for currency RUB in month 2022-06-01: carried forward from 2022-03-01"
        " (int_orders__localized: 1 rows)"
    ]
    assert good.status("fx_rate_covers_orders") == "pass"


def test_missing_rate_fails_naming_currency_and_month(landed: dict[str, Landed]) -> None:
    no_rate = landed["no_rate"]
    assert no_rate.build.returncode != 0
    assert no_rate.status("fx_rate_covers_orders") == "fail"
    assert no_rate.messages("fx_rate_covers_orders") == [
        "no FX rate to EUR for currency GBP in month 1998-06-01 (int_orders__localized: 1 rows);"
        " add it to reference/fx_rates",
        # past the 3 carry-forward months after the ECB's last RUB rate (2022-03)
        "no FX rate to EUR for currency RUB in month 2022-07-01 (int_orders__localized: 1 rows);"
        " add it to reference/fx_rates",
    ]


def test_bad_reference_rows_fail_naming_the_row(landed: dict[str, Landed]) -> None:
    bad = landed["bad_reference"]
    assert bad.build.returncode != 0
    expected = {
        "reference_markets_time_zone_known": [
            "reference/markets row market_code=IL (landed): time zone 'Asia/Jerusalm' is not an IANA time zone"
            " the database knows"
        ],
        "reference_markets_currency_known": [
            "reference/markets row market_code=SE (landed): currency 'SEKK' is not an ISO 4217 currency code"
        ],
        "reference_markets_country_code_known": [
            "reference/markets row market_code=XK (landed): market_code 'XK' is not an ISO 3166-1 alpha-2 country code"
        ],
        "reference_markets_keys_unique": [
            "reference/markets row market_code=NO (landed): 2 landed rows have this key (keep one)"
        ],
    }
    for test, messages in expected.items():
        assert bad.status(test) == "fail", test
        assert bad.messages(test) == messages


def test_committed_fx_seed_is_what_the_installed_ecb_history_gives() -> None:
    proc = subprocess.run(
        [sys.executable, "scripts/gen_fx_rates.py", "--check"], cwd=PROJECT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- cskpi check-landing (no dbt) ---------------------------------------------------------


def _check_landing(raw: Path) -> subprocess.CompletedProcess[str]:
    env = target_env(raw)
    return subprocess.run([CSKPI, "check-landing", "--raw-dir", str(raw)], env=env, capture_output=True, text=True)


def _line(out: str, start: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(start))


def test_check_landing_reports_tables_reference_and_provisional_rates(landed: dict[str, Landed]) -> None:
    proc = _check_landing(landed["good"].raw)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert _line(out, "telephony/calls").split()[1:4] == ["present", "(parquet)", "2"]
    assert "started_at 2024-06-01 10:00:00 .. 2024-06-01 21:30:00" in _line(out, "telephony/calls")
    assert _line(out, "reference/markets").split()[1:4] == ["present", "(csv)", "1"]
    assert "  WARN  provisional FX rate for currency RUB in month 2022-06: the rate of 2022-03 is carried" in out
    assert "ERROR" not in out
    assert "KPIs that will be null: none" in out


def test_check_landing_fails_on_errors_that_stop_the_run(landed: dict[str, Landed]) -> None:
    bad = _check_landing(landed["bad_reference"].raw)
    assert bad.returncode == 1
    assert (
        "  ERROR reference/markets row market_code=IL: time zone 'Asia/Jerusalm' is not an IANA time zone the"
        " database knows" in bad.stdout
    )
    sweden = "  ERROR reference/markets row market_code=SE: currency 'SEKK' is not an ISO 4217 currency code"
    assert sweden in bad.stdout
    assert "  ERROR reference/markets: 2 rows have key market_code=NO" in bad.stdout
    no_rate = _check_landing(landed["no_rate"].raw)
    assert no_rate.returncode == 1
    assert "  ERROR no FX rate to EUR for currency GBP in month 1998-06 (1 rows)" in no_rate.stdout
    assert "  ERROR no FX rate to EUR for currency RUB in month 2022-07 (1 rows)" in no_rate.stdout


def test_check_landing_names_absent_tables_and_null_kpis(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    landing = _landing([order("O1", "K1")])
    write_landing(raw, landing, fmt="csv", skip=tuple(p for p in landing if p != "telephony/calls"))
    proc = _check_landing(raw)
    # absent tables count as empty: no error; the IL call is an unknown market (no reference/markets)
    assert proc.returncode == 0, proc.stdout
    out = proc.stdout
    assert _line(out, "helpdesk/tickets").split()[1] == "absent"
    assert "absent systems: finance, helpdesk, shop, surveys, workforce" in out
    assert "  WARN  telephony/calls: unknown market(s) IL (1 rows)" in out
    csv_hint = """--vars '{"raw_format": "csv"}'"""
    assert f"  WARN  telephony/calls: CSV files only; the DuckDB target reads them with {csv_hint}" in out
    null = out.split("KPIs that will be null (their input tables are absent):\n", 1)[1]
    assert "  csat: no helpdesk/satisfaction_ratings" in null
    assert "  cost_per_interaction: no finance/operating_costs" in null
    assert "  first_response_time: no helpdesk/tickets" in null
    assert "aht" not in null and "first_contact_resolution" not in null  # calls alone compute these


def test_check_landing_missing_column_and_missing_folder_exit_1(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_landing(raw, _landing([order("O1", "K1")]), drop_columns={"telephony/calls": "talk_seconds"})
    proc = _check_landing(raw)
    assert proc.returncode == 1
    assert "  ERROR telephony/calls: landing files lack required column(s) talk_seconds" in proc.stdout
    missing = _check_landing(tmp_path / "nowhere")
    assert missing.returncode == 1 and "does not exist" in missing.stdout


def test_kpi_inputs_lie_upstream_of_their_measures(tmp_path: Path) -> None:
    """The catalogue's `inputs` (what check-landing reports as null) agree with the dbt lineage:
    every input table of a KPI is a source upstream of the measure models its numerator and
    denominator read (int_kpi__*_measures), and every KPI declares inputs."""
    import json
    import re

    from cskpi.kpis import load

    env = target_env(tmp_path / "raw")
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "parse", "--project-dir", str(PROJECT),
         "--target-path", str(tmp_path / "target")],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    nodes = {**manifest["nodes"], **manifest["sources"]}
    measure_models = {
        uid: node for uid, node in manifest["nodes"].items()
        if re.fullmatch(r"int_kpi__\w+_measures", node["name"]) and node["name"] != "int_kpi__period_measures"
    }  # fmt: skip

    def upstream_sources(uid: str, seen: set[str]) -> set[str]:
        found: set[str] = set()
        for parent in nodes[uid].get("depends_on", {}).get("nodes", []):
            if parent in seen or parent not in nodes:
                continue
            seen.add(parent)
            if parent.startswith("source."):
                found.add(f"{nodes[parent]['source_name']}/{nodes[parent]['name']}")
            else:
                found |= upstream_sources(parent, seen)
        return found

    lineage = {uid: upstream_sources(uid, set()) for uid in measure_models}
    for kpi in load(PROJECT).kpis:
        assert kpi.inputs, f"{kpi.code} declares no inputs"
        columns = set(re.findall(r"[a-z_]+", f"{kpi.numerator} {kpi.denominator}"))
        models = [uid for uid, node in measure_models.items() if columns & set(node["columns"])]
        assert models, kpi.code
        upstream = set().union(*(lineage[uid] for uid in models))
        declared = {t for group in kpi.inputs for t in group}
        assert declared <= upstream, f"{kpi.code}: {sorted(declared - upstream)} not upstream of {models}"
