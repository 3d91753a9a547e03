"""kpi_diagnostics ("KPIs read together") on the demo data set.

Generates the default demo data (markets RO, PL, HU, CZ, DE from 2024-01-01, 456 days,
seed 42: both case studies of the source articles and their fixes), builds the models
the diagnostics need (`dbt seed`, `dbt run --select +kpi_diagnostic_evidence`) and
runs every data and unit test of the diagnostics models, once per session (scenario
"diagnostics", tests/fixtures/scenarios.py). Then checks
that the data-defined rules find the case studies for the right reasons:

- Poland (Sep-Dec 2024: fast answers, slow internal escalations) is flagged for
  internal_escalation_bottleneck every month, with evidence that answer speed meets
  its target while repeat contacts and CSAT miss theirs; not in Feb-Mar 2025 after the
  internal SLAs (January is transitional: CSAT still recovering);
- Romania (new brand, Mar-May 2024) is flagged for new_market_trust_deficit in those
  months and not from July 2024 on (after trust signals and the FAQ);
- no market is flagged for a case study rule outside its case.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import duckdb
import pytest
from fixtures.warehouse import Warehouses

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(warehouse: Warehouses) -> Path:
    """The demo warehouse file (scenario "diagnostics")."""
    return warehouse("diagnostics").db


@pytest.fixture(scope="module")
def findings(demo: Path) -> set[tuple[str, str, str, dt.date]]:
    with duckdb.connect(str(demo), read_only=True) as con:
        rows = con.execute("select period_grain, market_code, rule_code, period_start from kpi_diagnostics").fetchall()
    return {(r[0], r[1], r[2], r[3]) for r in rows}


def _months(findings: set[tuple[str, str, str, dt.date]], market: str, rule: str) -> set[str]:
    return {f"{p:%Y-%m}" for g, m, r, p in findings if g == "month" and m == market and r == rule}


def test_poland_escalation_bottleneck_during_the_case_only(findings):
    months = _months(findings, "PL", "internal_escalation_bottleneck")
    assert {"2024-09", "2024-10", "2024-11", "2024-12"} <= months
    assert not months & {"2025-02", "2025-03"}, "internal SLAs from January 2025 fixed it"
    assert months <= {"2024-09", "2024-10", "2024-11", "2024-12", "2025-01"}  # nothing before the case


def test_poland_evidence_fast_answers_but_repeat_contacts_and_low_csat(demo):
    with duckdb.connect(str(demo), read_only=True) as con:
        rows = con.execute(
            """select period_start, kpi_code, value, target, meets_target, evidence_text
               from kpi_diagnostic_evidence
               where period_grain = 'month' and market_code = 'PL' and rule_code = 'internal_escalation_bottleneck'
               order by period_start, condition_no"""
        ).fetchall()
        evidence = con.execute(
            """select evidence from kpi_diagnostics where period_grain = 'month' and market_code = 'PL'
               and rule_code = 'internal_escalation_bottleneck' and period_start = date '2024-10-01'"""
        ).fetchone()
    by_month: dict[dt.date, dict[str, tuple]] = {}
    for period_start, kpi, value, target, meets, _text in rows:
        by_month.setdefault(period_start, {})[kpi] = (value, target, meets)
    assert dt.date(2024, 10, 1) in by_month
    for kpis in by_month.values():
        assert set(kpis) == {"avg_speed_of_answer", "repeat_contact_rate", "csat"}  # every KPI the rule used
        asa, rcr, csat = kpis["avg_speed_of_answer"], kpis["repeat_contact_rate"], kpis["csat"]
        assert asa[2] is True and asa[0] <= asa[1]
        assert rcr[2] is False and rcr[0] > rcr[1]
        assert csat[2] is False and csat[0] < csat[1]
    assert evidence is not None
    text = evidence[0]
    assert text.startswith("avg_speed_of_answer=") and "met)" in text
    assert "repeat_contact_rate=" in text and "csat=" in text and text.count("missed") == 2


def test_romania_trust_deficit_while_new_and_before_the_fix(findings):
    months = _months(findings, "RO", "new_market_trust_deficit")
    assert {"2024-03", "2024-04", "2024-05"} <= months
    assert not {m for m in months if m >= "2024-07"}, "trust signals and FAQ from June 2024 fixed it"


def test_romania_evidence_pre_sales_interactions_and_launch(demo):
    with duckdb.connect(str(demo), read_only=True) as con:
        rows = con.execute(
            """select kpi_code, value from kpi_diagnostic_evidence
               where period_grain = 'month' and market_code = 'RO' and rule_code = 'new_market_trust_deficit'
                 and period_start = date '2024-04-01'"""
        ).fetchall()
    values = dict(rows)
    assert set(values) == {"months_since_launch", "pre_sales_share", "interactions_per_order"}
    assert values["months_since_launch"] <= 6 and values["pre_sales_share"] >= 25


def test_case_study_rules_fire_for_their_case_only(findings):
    escalation = {m for g, m, r, _ in findings if r == "internal_escalation_bottleneck"}
    trust = {m for g, m, r, _ in findings if r == "new_market_trust_deficit"}
    assert escalation == {"PL"}
    assert trust == {"RO"}  # the other markets launched years ago


def test_weekly_findings_agree_with_the_case_studies(findings):
    pl_weeks = {p for g, m, r, p in findings if g == "week" and m == "PL" and r == "internal_escalation_bottleneck"}
    ro_weeks = {p for g, m, r, p in findings if g == "week" and m == "RO" and r == "new_market_trust_deficit"}
    assert len(pl_weeks) >= 12 and all(dt.date(2024, 8, 26) <= p <= dt.date(2025, 1, 31) for p in pl_weeks)
    assert len(ro_weeks) >= 8 and all(p < dt.date(2024, 7, 1) for p in ro_weeks)


def test_evidence_rows_match_conditions_count(demo):
    with duckdb.connect(str(demo), read_only=True) as con:
        mismatched = con.execute(
            """select count(*) from kpi_diagnostics d
               where d.conditions_count <> (
                   select count(*) from kpi_diagnostic_evidence e
                   where e.period_grain = d.period_grain and e.period_start = d.period_start
                     and e.market_code = d.market_code and e.rule_code = d.rule_code)"""
        ).fetchone()
    assert mismatched == (0,)


def test_report_and_dashboard_data_on_the_published_demo(demo, tmp_path):
    from cskpi.publish import publish
    from cskpi.report import report

    text = report(demo, month="2024-10", market="PL")
    assert "Internal escalation bottleneck" in text and "repeat_contact_rate=" in text

    version = publish(demo, tmp_path / "serving", "test-diagnostics")
    assert {"kpi_diagnostics", "kpi_diagnostic_evidence"} <= {t.name for t in version.tables}

    sys.path.insert(0, str(ROOT))
    from dashboard import data

    database = data.serving_database({"CSKPI_SERVING_DIR": str(tmp_path / "serving")})
    con = data.connect(database)
    try:
        found = data.diagnostics(con, "month", dt.date(2024, 10, 1), dt.date(2024, 10, 1), "PL")
        assert [f["rule_code"] for f in found] == ["internal_escalation_bottleneck"]
        assert [e["kpi_code"] for e in found[0]["evidence_rows"]] == [
            "avg_speed_of_answer",
            "repeat_contact_rate",
            "csat",
        ]
        tiles = {t["kpi_code"]: t for t in data.kpi_tiles(con, "month", dt.date(2024, 10, 1), "PL")}
        assert tiles["csat"]["meets_target"] is False and tiles["csat"]["change"] is not None
    finally:
        con.close()
