"""The data checks (dbt tests in macros/generic_tests, README "Nightly checks") on a small built
warehouse: they pass on clean data, and each one FAILS (or warns) on planted bad data with a
message that names the table, the numbers, the reasons and sample keys.

One warehouse per session (a copy of scenario "small_clean": `dbt build` of seeds and models),
`dbt test` of the data checks on it,
then bad rows are planted in place and the checks run again (once with default thresholds, once
with thresholds raised through the environment and --vars).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from fixtures.warehouse import Warehouses

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHECKS = (
    "raw_rows_reconcile_with_staging",
    "quarantine_rate_below_threshold",
    "fct_calls_row_count_matches_staging",
    "fct_tickets_row_count_matches_staging",
    "daily_contacts_no_sudden_jumps",
)
AUDIT = "main_dbt_test__audit"


@dataclass
class Warehouse:
    path: Path
    work: Path
    env: dict[str, str]

    def dbt(self, *args: str, env: dict[str, str] | None = None) -> dict[str, str]:
        """Run dbt; the status of every test that ran, by name."""
        cmd = [str(BIN / "dbt"), *args, "--project-dir", str(REPO), "--target-path", str(self.work / "target")]
        proc = subprocess.run(
            cmd, cwd=REPO, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=600
        )
        results = json.loads((self.work / "target" / "run_results.json").read_text())["results"]
        statuses = {r["unique_id"].split(".")[2]: r["status"] for r in results if r["unique_id"].startswith("test.")}
        if not statuses and proc.returncode != 0:
            pytest.fail(f"dbt {' '.join(args)} failed:\n{proc.stdout[-3000:]}")
        return statuses

    def test_checks(self, *extra: str, env: dict[str, str] | None = None) -> dict[str, str]:
        return self.dbt("test", "--select", " ".join(CHECKS), *extra, env=env)

    def query(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def execute(self, *statements: str) -> None:
        con = duckdb.connect(str(self.path))
        try:
            for statement in statements:
                con.execute(statement)
        finally:
            con.close()

    def messages(self, check: str) -> list[str]:
        return sorted(r[0] for r in self.query(f"select message from {AUDIT}.{check}"))


@pytest.fixture(scope="session")
def checked(warehouse: Warehouses, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A private copy of the "small_clean" build: the tests below plant bad rows in it."""
    built = warehouse("small_clean").copy(tmp_path_factory.mktemp("data_checks"))
    wh = Warehouse(built.db, built.db.parent, built.env)
    assert wh.query("select count(*) from kpi_metrics")[0][0] > 0
    return wh


@pytest.fixture(scope="session")
def clean(checked: Warehouse) -> dict[str, str]:
    return checked.test_checks()


def test_data_checks_pass_on_clean_data(clean: dict[str, str]):
    assert clean == dict.fromkeys(CHECKS, "pass")


@dataclass
class Planted:
    statuses: dict[str, str]
    expected: dict[str, list[str]]


def _recon(wh: Warehouse, table: str) -> tuple[int, int, int, int]:
    rows = wh.query(
        "select raw_rows, accepted_rows, quarantined_rows, duplicate_rows from dq_table_reconciliation "
        f"where source_table = '{table}'"
    )
    return tuple(int(v) for v in rows[0])  # type: ignore[return-value]


@pytest.fixture(scope="session")
def planted(checked: Warehouse, clean: dict[str, str]) -> Planted:
    """Bad data for every check at once (each in a different table, so the messages are exact)."""
    wh = checked
    expected: dict[str, list[str]] = {}

    # A fact lost a row.
    staged_calls = wh.query("select count(*) from stg_telephony__calls")[0][0]
    wh.execute("delete from fct_calls where call_id = (select min(call_id) from fct_calls)")
    expected["fct_calls_row_count_matches_staging"] = [
        f"fct_calls has {staged_calls - 1} rows but stg_telephony__calls has {staged_calls}"
    ]
    # A fact gained a row (one ticket twice).
    staged_tickets = wh.query("select count(*) from stg_helpdesk__tickets")[0][0]
    wh.execute("insert into fct_tickets select * from fct_tickets limit 1")
    expected["fct_tickets_row_count_matches_staging"] = [
        f"fct_tickets has {staged_tickets + 1} rows but stg_helpdesk__tickets has {staged_tickets}"
    ]

    # Row accounting: raw rows lost, accepted rows miscounted, a table missing.
    raw, acc, qrt, dup = _recon(wh, "shop/orders")
    t_raw, t_acc, t_qrt, t_dup = _recon(wh, "helpdesk/tickets")
    wh.execute(
        "update dq_table_reconciliation set raw_rows = raw_rows + 3 where source_table = 'shop/orders'",
        "update dq_table_reconciliation set accepted_rows = accepted_rows - 1, duplicate_rows = duplicate_rows + 1 "
        "where source_table = 'helpdesk/tickets'",
        "delete from dq_table_reconciliation where source_table = 'finance/operating_costs'",
    )
    expected["raw_rows_reconcile_with_staging"] = sorted(
        [
            f"shop/orders: raw_rows {raw + 3} != accepted {acc} + quarantined {qrt} + duplicates {dup} (off by 3)",
            f"helpdesk/tickets: accepted_rows {t_acc - 1} != stg_helpdesk__tickets rows {t_acc}",
            "finance/operating_costs: missing from dq_table_reconciliation",
        ]
    )

    # Quarantine-rate breach: 20 more quarantined calls (12 negative durations, 8 null keys).
    raw, acc, qrt, dup = _recon(wh, "telephony/calls")
    assert qrt == 0, "the clean data set quarantines no call"
    keyed = [
        f"('telephony/calls', 'KX{i:02d}', 'negative_duration', 'telephony/calls row KX{i:02d}: talk_seconds < 0', "
        "now(), '{}')"
        for i in range(1, 13)
    ]
    null_key = "'telephony/calls row <null key>: call_id is null'"
    unkeyed = [f"('telephony/calls', null, 'null_key', {null_key}, now(), '{{}}')"] * 8
    wh.execute(
        "insert into fct_quarantined_rows (source_table, row_key, reason, detail, loaded_at, raw_row) "
        f"values {', '.join(keyed + unkeyed)}",
        "update dq_table_reconciliation set raw_rows = raw_rows + 20, quarantined_rows = 20 "
        "where source_table = 'telephony/calls'",
    )
    percent = Decimal(100 * 20 / (raw + 20)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    expected["quarantine_rate_below_threshold"] = [
        f"telephony/calls: {percent}% of raw rows quarantined (20 of {raw + 20}) > 5.0%; "
        "reasons: negative_duration=12, null_key=8; sample keys: KX01, KX02, KX03, KX04, KX05"
    ]

    # A jump: a market's contacts on one day go to 1000 (the denominator of pre_sales_share, daily, all channels).
    market, day, before = wh.query(
        "select cur.market_code, cur.period_start, prev.denominator from kpi_metrics as cur join kpi_metrics as prev "
        "on prev.market_code = cur.market_code and prev.kpi_code = cur.kpi_code and prev.period_grain = 'day' "
        "and prev.channel = 'all' and prev.period_start = cur.period_start - interval 7 day "
        "where cur.kpi_code = 'pre_sales_share' and cur.period_grain = 'day' "
        "and cur.channel = 'all' order by cur.market_code, cur.period_start limit 1"
    )[0]
    wh.execute(
        f"update kpi_metrics set denominator = 1000 where market_code = '{market}' and kpi_code = 'pre_sales_share' "
        f"and period_grain = 'day' and channel = 'all' and period_start = date '{day}'"
    )
    expected["daily_contacts_no_sudden_jumps"] = [
        f"{market} {day}: contacts {int(before)} on {day - timedelta(days=7)} -> 1000 (factor > 3)"
    ]
    return Planted(wh.test_checks(), expected)


@pytest.mark.parametrize("check", [c for c in CHECKS if c != "daily_contacts_no_sudden_jumps"])
def test_error_checks_fail_on_planted_data_with_precise_messages(planted: Planted, checked: Warehouse, check):
    assert planted.statuses[check] == "fail"
    assert checked.messages(check) == planted.expected[check]


def test_jump_check_warns_with_the_day_and_the_numbers(planted: Planted, checked: Warehouse):
    assert planted.statuses["daily_contacts_no_sudden_jumps"] == "warn"
    messages = checked.messages("daily_contacts_no_sudden_jumps")
    assert planted.expected["daily_contacts_no_sudden_jumps"][0] in messages
    # The same weekday a week later compares with the planted day, too.
    assert any("contacts 1000 on" in m for m in messages)


def test_thresholds_come_from_the_environment_and_vars(planted: Planted, checked: Warehouse):
    raised = checked.test_checks(
        "--vars", json.dumps({"contact_jump_factor": 5000}), env={"CSKPI_QUARANTINE_THRESHOLD": "0.9"}
    )
    assert raised["quarantine_rate_below_threshold"] == "pass"
    assert raised["daily_contacts_no_sudden_jumps"] == "pass"
    assert raised["raw_rows_reconcile_with_staging"] == "fail"  # no threshold: still failing
    fewer = checked.test_checks(env={"CSKPI_QUARANTINE_MIN_ROWS": "21"})  # 20 rows: below the minimum
    assert fewer["quarantine_rate_below_threshold"] == "pass"


def test_a_second_run_on_unchanged_landing_warns_stale_tables(warehouse: Warehouses, tmp_path: Path):
    """No new _loaded_at since the last run: every landed table with rows gets a stale warning naming it."""
    built = warehouse("small_clean").copy(tmp_path)
    wh = Warehouse(built.db, tmp_path, built.env)
    wh.dbt("build", "--select", "dq_landing_history+")
    statuses = wh.dbt("test", "--select", "dq_landing_freshness")
    assert statuses["landed_tables_not_stale"] == "warn"
    with_rows = [r[0] for r in wh.query("select source_table from dq_table_reconciliation where raw_rows > 0")]
    messages = wh.messages("landed_tables_not_stale")
    assert sorted(m.split(":")[0] for m in messages) == sorted(f"raw table {t}" for t in with_rows)
    assert all("has not moved since the run of" in m for m in messages), messages
    # the history survives --full-refresh: still two runs to compare
    wh.dbt("build", "--full-refresh", "--select", "dq_landing_history")
    assert wh.query("select count(distinct invocation_id) from dq_landing_history")[0][0] == 3


def test_a_landed_empty_table_warns_naming_it(warehouse: Warehouses, tmp_path: Path):
    """A calls export that wrote a file with no rows: its KPIs are null and a warning says why."""
    built = warehouse("small_clean").copy(tmp_path)
    raw = tmp_path / "raw"
    shutil.copytree(built.raw, raw)
    calls = raw / "telephony" / "calls"
    first, *rest = sorted(calls.glob("*.parquet"))
    con = duckdb.connect()
    con.execute(f"copy (select * from read_parquet('{first}') limit 0) to '{calls / 'empty.parquet'}' (format parquet)")
    con.close()
    for f in (first, *rest):
        f.unlink()
    env = {**built.env, "CSKPI_RAW_DIR": str(raw)}
    wh = Warehouse(built.db, tmp_path, env)
    wh.dbt("run", "--select", "dq_table_reconciliation dq_landing_history dq_landing_freshness")
    statuses = wh.dbt("test", "--select", "dq_landing_freshness")
    assert statuses["landed_tables_not_empty"] == "warn"
    # the small data set has no satisfaction ratings at all: that table warns too
    empty = [
        r[0] for r in wh.query("select source_table from dq_table_reconciliation where is_present and raw_rows = 0")
    ]
    assert "telephony/calls" in empty
    assert wh.messages("landed_tables_not_empty") == sorted(
        f"raw table {t} was landed but has no rows: its KPIs are null; check the export that writes it" for t in empty
    )
