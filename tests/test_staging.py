"""Staging layer and quarantine (docs/contract.md) on a tiny hand-made landing set with known dirt.

Every dirty row of the landing set is listed in EXPECTED_QUARANTINE with the reason it must get.
The module builds seeds + staging + marts.quality once (session fixture) and checks the result;
the contract-failure tests run `dbt build` on broken copies of the landing set.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml
from fixtures.landing import (
    DAY,
    FUTURE,
    L1,
    L2,
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
)

from cskpi.contract import REASON_CODES, REFERENCE_TABLES, TABLES

ROOT = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).with_name("dbt"))

LANDING: dict[str, list[dict]] = {
    "helpdesk/tickets": [
        ticket("T1"),
        ticket("T1"),  # exact duplicate
        ticket("T1", status="solved", solved_at=at(20), updated_at=at(20), _loaded_at=L2),  # late update wins
        ticket("T2", market_code="PL", customer_id=None, requester_email="carol@example.com"),
        ticket("T3", market_code="XX"),
        ticket("T4", status="solved", solved_at=at(-1)),
        ticket("T5", created_at=FUTURE, updated_at=FUTURE),
        ticket("T6", channel="fax"),
        ticket(None),
        ticket(None, subject="other"),
        # a customer the shop does not have: kept (an inferred member of dim_customers), no orphan
        ticket("T8", customer_id="K404"),
        ticket("T7", priority="low", updated_at=at(1)),
        ticket("T7", priority="high", updated_at=at(2)),  # same _loaded_at, later updated_at wins
        ticket("T9", market_code="XX", channel="fax"),  # two rules broken: the first reason wins
    ],
    "helpdesk/ticket_events": [
        event("E1", "T1"),
        event("E2", "T3"),
        event("E3", None),
        event("E4", "T1", event_type="bogus"),
        event(
            "E5",
            "T2",
            event_type="status_change",
            author_type="system",
            agent_id=None,
            is_public=False,
            status_from="new",
            status_to="open",
        ),
        event("E6", "T2", event_at=FUTURE),
        event("E7", "T2", event_at=FUTURE, event_type="bogus"),
    ],
    "helpdesk/satisfaction_ratings": [
        rating("R1", "T1", None),
        rating("R2", None, "C1", score=4),
        rating("R3", "T1", None, score=9),
        rating("R4", "T1", "C1"),
        rating("R5", None, None),
        rating("R6", "T4", None),
        rating("R7", "T404", None, score=0),
    ],
    "telephony/calls": [
        call("C1"),
        call("C2", talk_seconds=-5),
        call("C3", ended_at=at(-1)),
        call("C4", answered_at=at(-0.5)),
        call("C5", outcome="weird"),
        call(
            "C6",
            market_code="RO",
            outcome="abandoned",
            answered_at=None,
            agent_id=None,
            talk_seconds=0,
            hold_seconds=0,
            after_call_work_seconds=0,
            disposition=None,
        ),
        call("C7", talk_seconds=-1, ended_at=at(-1)),
    ],
    "shop/customers": [
        customer("K1", "RO", "alice@example.com"),
        customer("K2", "PL", "dave@example.com"),
        customer("K3", None, "eve@example.com"),
    ],
    "shop/orders": [
        order("O1", "K1"),
        order("O1", "K1", status="shipped", updated_at=at(-24), _loaded_at=L2),
        order("O2", None),
        order("O3", "K3"),
        order("O4", "K999"),
        order("O5", "K1", updated_at=at(-49)),
        order("O6", "K999", updated_at=at(-49)),
    ],
    "workforce/agents": [
        agent("A1"),
        agent("A2", left_on=dt.date(2022, 1, 1)),
        agent("A3", employment="freelance"),
    ],
    "workforce/employee_surveys": [
        {"response_id": "S1", "agent_id": "A1", "survey_date": DAY, "score": 4, "_loaded_at": L1},
        {"response_id": "S2", "agent_id": "A2", "survey_date": DAY, "score": 4, "_loaded_at": L1},
        {"response_id": "S3", "agent_id": "A1", "survey_date": DAY, "score": 0, "_loaded_at": L1},
    ],
    "finance/operating_costs": [
        cost(DAY, "RO", "salaries", 1000.0),
        cost(DAY, "PL", "tools", 50.0),
        cost(DAY, "PL", "tools", 55.0, _loaded_at=L2),
        cost(DAY, None, "tools", 1.0),
        cost(DAY, "XX", "tools", 1.0),
        cost(DAY, "RO", "party", 1.0),
    ],
    "surveys/nps_responses": [
        {
            "response_id": "N1",
            "customer_id": "K1",
            "market_code": "RO",
            "responded_at": at(5),
            "score": 10,
            "_loaded_at": L1,
        },
        {
            "response_id": "N2",
            "customer_id": "K1",
            "market_code": "RO",
            "responded_at": at(5),
            "score": 11,
            "_loaded_at": L1,
        },
        {
            "response_id": "N3",
            "customer_id": "K2",
            "market_code": "XX",
            "responded_at": at(5),
            "score": 7,
            "_loaded_at": L1,
        },
        {
            "response_id": "N4",
            "customer_id": "K404",
            "market_code": "PL",
            "responded_at": at(5),
            "score": 7,
            "_loaded_at": L1,
        },
    ],
    "surveys/ces_responses": [
        {
            "response_id": "Q1",
            "customer_id": "K1",
            "ticket_id": "T1",
            "call_id": None,
            "responded_at": at(5),
            "score": 6,
            "_loaded_at": L1,
        },
        {
            "response_id": "Q2",
            "customer_id": "K2",
            "ticket_id": None,
            "call_id": "C2",
            "responded_at": at(5),
            "score": 6,
            "_loaded_at": L1,
        },
        {
            "response_id": "Q3",
            "customer_id": "K2",
            "ticket_id": None,
            "call_id": "C1",
            "responded_at": at(5),
            "score": 8,
            "_loaded_at": L1,
        },
        {
            "response_id": "Q4",
            "customer_id": "K2",
            "ticket_id": None,
            "call_id": None,
            "responded_at": at(5),
            "score": 2,
            "_loaded_at": L1,
        },
    ],
}

# (source_table, row_key) -> reason; null keys appear once per raw row.
EXPECTED_QUARANTINE: list[tuple[str, str | None, str]] = [
    ("helpdesk/tickets", "T3", "unknown_market"),
    ("helpdesk/tickets", "T4", "end_before_start"),
    ("helpdesk/tickets", "T5", "future_timestamp"),
    ("helpdesk/tickets", "T6", "invalid_value"),
    ("helpdesk/tickets", None, "null_key"),
    ("helpdesk/tickets", None, "null_key"),
    ("helpdesk/tickets", "T9", "unknown_market"),
    ("helpdesk/ticket_events", "E2", "orphan_reference"),
    ("helpdesk/ticket_events", "E3", "orphan_reference"),
    ("helpdesk/ticket_events", "E4", "invalid_value"),
    ("helpdesk/ticket_events", "E6", "future_timestamp"),
    ("helpdesk/ticket_events", "E7", "future_timestamp"),
    ("helpdesk/satisfaction_ratings", "R3", "score_out_of_range"),
    ("helpdesk/satisfaction_ratings", "R4", "invalid_value"),
    ("helpdesk/satisfaction_ratings", "R5", "invalid_value"),
    ("helpdesk/satisfaction_ratings", "R6", "orphan_reference"),
    ("helpdesk/satisfaction_ratings", "R7", "score_out_of_range"),
    ("telephony/calls", "C2", "negative_duration"),
    ("telephony/calls", "C3", "end_before_start"),
    ("telephony/calls", "C4", "end_before_start"),
    ("telephony/calls", "C5", "invalid_value"),
    ("telephony/calls", "C7", "negative_duration"),
    ("shop/customers", "K3", "unknown_market"),
    ("shop/orders", "O3", "orphan_reference"),
    ("shop/orders", "O4", "orphan_reference"),
    ("shop/orders", "O5", "end_before_start"),
    ("shop/orders", "O6", "end_before_start"),
    ("workforce/agents", "A2", "end_before_start"),
    ("workforce/agents", "A3", "invalid_value"),
    ("workforce/employee_surveys", "S2", "orphan_reference"),
    ("workforce/employee_surveys", "S3", "score_out_of_range"),
    ("finance/operating_costs", None, "null_key"),
    ("finance/operating_costs", "2024-06-01|XX|tools", "unknown_market"),
    ("finance/operating_costs", "2024-06-01|RO|party", "invalid_value"),
    ("surveys/nps_responses", "N2", "score_out_of_range"),
    ("surveys/nps_responses", "N3", "unknown_market"),
    ("surveys/nps_responses", "N4", "orphan_reference"),
    ("surveys/ces_responses", "Q2", "orphan_reference"),
    ("surveys/ces_responses", "Q3", "score_out_of_range"),
]

EXPECTED_DUPLICATES = {"helpdesk/tickets": 3, "shop/orders": 1, "finance/operating_costs": 1}


def _dbt_command(
    args: list[str], raw_dir: Path, db: Path, extra_vars: str | None = None
) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(ROOT),
        "CSKPI_RAW_DIR": str(raw_dir),
        "CSKPI_DUCKDB_PATH": str(db),
        "CSKPI_TARGET": "duckdb",
        "CSKPI_THREADS": "4",
        # The landing sets are dirtier than any real export: the quarantine-rate data check
        # (tested in test_data_checks.py) would fail every build here.
        "CSKPI_QUARANTINE_THRESHOLD": "1",
    }
    cmd = [DBT, *args, "--target-path", str(db.parent / "target"), "--log-path", str(db.parent / "logs")]
    if extra_vars:
        cmd += ["--vars", extra_vars]
    return cmd, env


BUILD_SELECT = [
    "--select",
    "path:seeds",
    "path:models/staging",
    "path:models/marts/quality",
    # the KPI targets seed tests its codes against the catalogue model
    "kpi_definitions",
    "--indirect-selection",
    "cautious",
]


GENERATE_ARGS = ["--days", "14", "--scale", "0.05", "--markets", "RO,PL", "--dirt", "0.05"]


# The csv and generated-data runs skip the data tests (the main run has them) to save time.
RUN_ONLY = ["build", *BUILD_SELECT, "--exclude-resource-type", "test", "unit_test"]


class Run:
    """A dbt invocation started in the background (the runs of this module overlap to save wall time)."""

    def __init__(self, args: list[str], raw_dir: Path, db: Path, extra_vars: str | None = None) -> None:
        db.parent.mkdir(parents=True, exist_ok=True)
        self.db = db
        self.raw_dir = raw_dir
        cmd, env = _dbt_command(args, raw_dir, db, extra_vars)
        self._proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self._out: str | None = None

    @property
    def output(self) -> str:
        if self._out is None:
            self._out, _ = self._proc.communicate(timeout=300)
        return self._out

    @property
    def returncode(self) -> int:
        _ = self.output
        return self._proc.returncode


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    work = tmp_path_factory.mktemp("staging")
    main = write_landing(work / "main" / "raw", LANDING)
    csv = write_landing(work / "csv" / "raw", LANDING, fmt="csv")
    broken = write_landing(
        work / "broken" / "raw", LANDING, skip=("shop/orders",), drop_columns={"telephony/calls": "talk_seconds"}
    )
    started = {
        "main": Run(["build", *BUILD_SELECT], main, work / "main" / "wh.duckdb"),
        "csv": Run(RUN_ONLY, csv, work / "csv" / "wh.duckdb", extra_vars="{raw_format: csv}"),
        "broken": Run(["build", "--select", "stg_workforce__agents"], broken, work / "broken" / "wh.duckdb"),
        "parse": Run(["parse"], work / "parse" / "does-not-exist", work / "parse" / "wh.duckdb"),
    }
    generated = work / "generated" / "raw"
    gen = subprocess.run(
        [str(Path(sys.executable).with_name("cskpi")), "generate", "--out", str(generated), *GENERATE_ARGS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if gen.returncode == 0 and (generated / "_manifest.json").exists():
        started["generated"] = Run(RUN_ONLY, generated, work / "generated" / "wh.duckdb")
    return started


@pytest.fixture(scope="session")
def built(runs: dict[str, Run]) -> Iterator[duckdb.DuckDBPyConnection]:
    result = runs["main"]
    assert result.returncode == 0, result.output[-8000:]
    con = duckdb.connect(str(result.db), read_only=True)
    yield con
    con.close()


def _relations(con: duckdb.DuckDBPyConnection, prefix: str) -> list[str]:
    rows = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables where table_name like ?",
        [prefix + "%"],
    ).fetchall()
    return [r[0] for r in rows]


def _rel(con: duckdb.DuckDBPyConnection, name: str) -> str:
    found = _relations(con, name)
    assert found, f"{name} not built"
    return [f for f in found if f.endswith("." + name)][0]


def test_every_bad_row_is_quarantined_with_its_reason(built: duckdb.DuckDBPyConnection) -> None:
    got = built.execute(f"select source_table, row_key, reason from {_rel(built, 'fct_quarantined_rows')}").fetchall()
    assert sorted(got, key=str) == sorted(EXPECTED_QUARANTINE, key=str)


def test_quarantine_models_have_interface_columns(built: duckdb.DuckDBPyConnection) -> None:
    for rel in _relations(built, "qrt_"):
        cols = [r[0] for r in built.execute(f"describe {rel}").fetchall()]
        assert cols == ["source_table", "row_key", "reason", "detail", "loaded_at", "raw_row"], rel


def test_quarantine_detail_names_table_key_and_column(built: duckdb.DuckDBPyConnection) -> None:
    details = dict(
        built.execute(
            f"select source_table || '|' || coalesce(row_key, ''), detail from {_rel(built, 'fct_quarantined_rows')}"
        ).fetchall()
    )
    assert details["telephony/calls|C2"] == "telephony/calls row C2: talk_seconds < 0"
    assert details["helpdesk/tickets|T6"] == "helpdesk/tickets row T6: channel is not one of its accepted values"
    assert details["helpdesk/tickets|"] == "helpdesk/tickets row <null key>: ticket_id is null"
    assert details["helpdesk/ticket_events|E2"] == (
        "helpdesk/ticket_events row E2: ticket_id has no accepted row in stg_helpdesk__tickets"
    )
    assert details["helpdesk/tickets|T5"] == (
        "helpdesk/tickets row T5: created_at is more than future_tolerance_minutes after _loaded_at"
    )


def test_late_update_wins(built: duckdb.DuckDBPyConnection) -> None:
    t1 = built.execute(
        f"select status, solved_at, loaded_at from {_rel(built, 'stg_helpdesk__tickets')} where ticket_id = 'T1'"
    ).fetchall()
    assert t1 == [("solved", at(20), L2)]
    t7 = built.execute(f"select priority from {_rel(built, 'stg_helpdesk__tickets')} where ticket_id = 'T7'")
    assert t7.fetchall() == [("high",)]
    o1 = built.execute(f"select status from {_rel(built, 'stg_shop__orders')} where order_id = 'O1'").fetchall()
    assert o1 == [("shipped",)]
    costs = _rel(built, "stg_finance__operating_costs")
    cost = built.execute(f"select amount from {costs} where operating_cost_id = '2024-06-01|PL|tools'").fetchall()
    assert cost == [(55.0,)]


def test_accepted_rows(built: duckdb.DuckDBPyConnection) -> None:
    def ids(model: str, col: str) -> list:
        return sorted(r[0] for r in built.execute(f"select {col} from {_rel(built, model)}").fetchall())

    assert ids("stg_helpdesk__tickets", "ticket_id") == ["T1", "T2", "T7", "T8"]
    assert ids("stg_helpdesk__ticket_events", "event_id") == ["E1", "E5"]
    assert ids("stg_helpdesk__satisfaction_ratings", "rating_id") == ["R1", "R2"]
    assert ids("stg_telephony__calls", "call_id") == ["C1", "C6"]
    assert ids("stg_shop__orders", "order_id") == ["O1", "O2"]
    assert ids("stg_workforce__employee_surveys", "response_id") == ["S1"]
    assert ids("stg_surveys__ces_responses", "response_id") == ["Q1", "Q4"]


def test_pii_is_hashed_everywhere(built: duckdb.DuckDBPyConnection) -> None:
    needles = [
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
        "@cs.example.com",
        "Ana Agent",
        "+48600100200",
        "Where is my parcel",
    ]
    for rel in (
        _relations(built, "stg_")
        + _relations(built, "qrt_")
        + _relations(built, "base_")
        + [_rel(built, "fct_quarantined_rows")]
    ):
        cols = [r[0] for r in built.execute(f"describe {rel}").fetchall()]
        text = " ".join(str(row) for row in built.execute(f"select * from {rel}").fetchall())
        for needle in needles:
            assert needle not in text, f"{needle} found in {rel}"
        assert not {"email", "requester_email", "subject", "phone", "full_name", "caller_number", "comment"} & set(
            cols
        ), rel
    emails = built.execute(f"select email_hash from {_rel(built, 'stg_shop__customers')}").fetchall()
    assert all(len(e[0]) == 64 for e in emails)


def test_reconciliation(built: duckdb.DuckDBPyConnection) -> None:
    rows = built.execute(
        "select source_table, raw_rows, duplicate_rows, quarantined_rows, accepted_rows "
        f"from {_rel(built, 'dq_table_reconciliation')}"
    ).fetchall()
    assert {r[0] for r in rows} == {t.path for t in TABLES}
    for table, raw, dup, qrt, acc in rows:
        assert raw == len(LANDING[table]), table
        assert raw == acc + qrt + dup, table
        assert dup == EXPECTED_DUPLICATES.get(table, 0), table
        assert qrt == sum(1 for e in EXPECTED_QUARANTINE if e[0] == table), table


def test_missing_column_fails_naming_it_and_an_absent_table_is_named_once(runs: dict[str, Run]) -> None:
    result = runs["broken"]
    assert result.returncode != 0
    out = result.output
    assert "Raw data contract check failed" in out, out[-3000:]
    assert "telephony/calls: missing required column(s) talk_seconds" in out, out[-3000:]
    # an absent table is no error: it reads as empty and is named once
    assert out.count("absent raw tables: shop/orders") == 1, out[-3000:]
    assert "shop/orders: " not in out.split("Raw data contract check failed", 1)[1], out[-3000:]
    assert "OK created" not in out, "no model may run when the raw contract is broken"


def test_csv_landing(runs: dict[str, Run]) -> None:
    result = runs["csv"]
    assert result.returncode == 0, result.output[-8000:]
    con = duckdb.connect(str(result.db), read_only=True)
    try:
        got = con.execute(f"select source_table, row_key, reason from {_rel(con, 'fct_quarantined_rows')}").fetchall()
        assert sorted(got, key=str) == sorted(EXPECTED_QUARANTINE, key=str)
        recon = con.execute(f"select count(*) from {_rel(con, 'dq_table_reconciliation')} where raw_rows > 0")
        assert recon.fetchone()[0] == len(TABLES)
    finally:
        con.close()


def test_dbt_parse_needs_no_landing_data(runs: dict[str, Run]) -> None:
    result = runs["parse"]
    assert result.returncode == 0, result.output[-3000:]


def test_generated_dirt_lands_in_quarantine(runs: dict[str, Run]) -> None:
    """`cskpi generate --dirt` records the dirt it injected per table and class; staging must find all of it."""
    if "generated" not in runs:
        pytest.skip("cskpi generate is not available")
    result = runs["generated"]
    assert result.returncode == 0, result.output[-8000:]
    manifest = json.loads((result.raw_dir / "_manifest.json").read_text())
    con = duckdb.connect(str(result.db), read_only=True)
    try:
        got: dict[str, dict[str, int]] = {}
        for table, reason, n in con.execute(
            f"select source_table, reason, count(*) from {_rel(con, 'fct_quarantined_rows')} group by 1, 2"
        ).fetchall():
            got.setdefault(table, {})[reason] = n
        recon = {
            r[0]: r[1:]
            for r in con.execute(
                f"select source_table, raw_rows, duplicate_rows from {_rel(con, 'dq_table_reconciliation')}"
            ).fetchall()
        }
    finally:
        con.close()
    # a reference resolving to an inferred member (tickets -> customers) is kept, not an orphan
    inferred = {t.path for t in TABLES if any(ref.inferred for ref in t.references)}
    for table, info in manifest["tables"].items():
        dirt = {k: v for k, v in info["dirt"].items() if v and not (k == "orphan_reference" and table in inferred)}
        duplicates = dirt.pop("duplicate", 0) + dirt.pop("late_update", 0)
        assert got.get(table, {}) == dirt, table
        assert recon[table] == (info["rows"], duplicates), table


def test_generated_files_match_contract() -> None:
    """Sources and staging yml, the raw_contract() macro and docs/contract.md are what cskpi/contract.py generates."""
    declared: dict[str, list[str]] = {}
    for path in sorted((ROOT / "models" / "staging").glob("*/_*__sources.yml")):
        doc = yaml.safe_load(path.read_text())
        for source in doc["sources"]:
            for tbl in source["tables"]:
                declared[f"{source['name']}/{tbl['name']}"] = [c["name"] for c in tbl["columns"]]
    assert declared == {t.path: list(t.column_names) for t in (*TABLES, *REFERENCE_TABLES)}
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_sources.py"), "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout


def test_built_staging_models_have_the_documented_columns(built: duckdb.DuckDBPyConnection) -> None:
    documented: dict[str, list[tuple[str, str]]] = {}
    # the raw systems' yml (generated from the contract); models/staging/reference is hand-written
    for system in sorted({t.system for t in TABLES}):
        path = ROOT / "models" / "staging" / system / f"_{system}__models.yml"
        for model in yaml.safe_load(path.read_text())["models"]:
            documented[model["name"]] = [(c["name"], c["data_type"]) for c in model["columns"]]
    assert set(documented) == {m for t in TABLES for m in (t.base_model, t.staging_model, t.quarantine_model)}
    duck_types = {"VARCHAR": "varchar", "INTEGER": "integer", "DOUBLE": "double", "BOOLEAN": "boolean",
                  "TIMESTAMP": "timestamp", "DATE": "date"}  # fmt: skip
    for model, columns in documented.items():
        built_columns = [(r[0], duck_types[r[1]]) for r in built.execute(f"describe {_rel(built, model)}").fetchall()]
        assert built_columns == columns, model


def test_contract_docs_list_every_reason_in_priority_order() -> None:
    docs = (ROOT / "docs" / "contract.md").read_text()
    positions = [docs.index(f"| `{code}` |") for code in REASON_CODES]
    assert positions == sorted(positions)
    for t in TABLES:
        assert f"### {t.path}" in docs and all(f"| `{c}` |" in docs for c in t.column_names), t.path


if __name__ == "__main__":  # build the landing set for manual runs: python tests/test_staging.py DIR [csv]
    out = Path(sys.argv[1])
    shutil.rmtree(out, ignore_errors=True)
    write_landing(out, LANDING, fmt=sys.argv[2] if len(sys.argv) > 2 else "parquet")
