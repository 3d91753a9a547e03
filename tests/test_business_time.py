"""The business-time engine (models/intermediate/business_time, macro business_positions) agrees
with a plain-Python clock (tests/business_time_reference.py: zoneinfo + the same reference tables)
on every ticket and call of a built warehouse and on a few thousand random spans of up to two
years, DST changes and public holidays included."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from business_time_reference import BusinessClock, Opening
from fixtures.warehouse import Built, Warehouses

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHANNELS = ("email", "chat", "web_form", "social", "phone")


@pytest.fixture(scope="module")
def built(warehouse: Warehouses) -> Built:
    return warehouse("kpi_reference")


@pytest.fixture(scope="module")
def clocks(built: Built) -> dict[str, BusinessClock]:
    con = duckdb.connect(str(built.db), read_only=True)
    try:
        zones = dict(con.execute("select market_code, timezone from stg_reference__markets").fetchall())
        hours = con.execute(
            "select market_code, channel, iso_weekday, opens_at, closes_at, valid_from "
            "from stg_reference__business_hours"
        ).fetchall()
        closed = con.execute("select market_code, holiday_date from stg_reference__holidays where is_closed").fetchall()
    finally:
        con.close()
    return {
        m: BusinessClock(
            zones[m],
            [Opening(c, d, o, e, v) for mk, c, d, o, e, v in hours if mk == m],
            [day for mk, day in closed if mk == m],
        )
        for m in sorted({h[0] for h in hours} & set(zones))
    }


def test_ticket_business_seconds_match_the_reference(built: Built, clocks: dict[str, BusinessClock]) -> None:
    con = duckdb.connect(str(built.db), read_only=True)
    try:
        rows = con.execute(
            "select ticket_id, market_code, channel, created_at, first_public_reply_at, first_reply_business_seconds, "
            "solved_at, resolution_seconds, resolution_business_seconds from fct_tickets"
        ).fetchall()
    finally:
        con.close()
    checked = 0
    for key, market, channel, created, replied, reply_business, solved, resolution, resolution_business in rows:
        clock = clocks[market]
        expected_reply = clock.business_seconds(channel, created, replied) if replied else None
        assert reply_business == expected_reply, (key, created, replied)
        expected_resolution = clock.business_seconds(channel, created, solved) if resolution is not None else None
        assert resolution_business == expected_resolution, (key, created, solved)
        checked += 1
    assert checked > 200


def test_calls_outside_hours_match_the_reference(built: Built, clocks: dict[str, BusinessClock]) -> None:
    con = duckdb.connect(str(built.db), read_only=True)
    try:
        rows = con.execute("select call_id, market_code, started_at, is_outside_hours from fct_calls").fetchall()
    finally:
        con.close()
    assert len(rows) > 200
    outside = 0
    for key, market, started, is_outside in rows:
        assert is_outside == (not clocks[market].is_open("phone", started)), (key, started)
        outside += bool(is_outside)
    assert 0 < outside < len(rows)


def _engine(built: Built, spans: list[tuple[int, str, str, datetime, datetime]], work: Path) -> dict[int, int | None]:
    """Business seconds of each span through the dbt macro, run by `dbt show --inline` on the warehouse."""
    spans_csv = work / "spans.csv"
    spans_csv.write_text(
        "span_id,market_code,channel,start_at,end_at\n"
        + "".join(f"{k},{m},{c},{a:%Y-%m-%d %H:%M:%S},{b:%Y-%m-%d %H:%M:%S}\n" for k, m, c, a, b in spans)
    )
    columns = "{'span_id': 'integer', 'market_code': 'varchar', 'channel': 'varchar', "
    columns += "'start_at': 'timestamp', 'end_at': 'timestamp'}"
    sql = (
        f"with spans as (select * from read_csv('{spans_csv}', header = true, columns = {columns})), "
        "instants as (select span_id, 'start' as side, market_code, channel, start_at as instant_at from spans "
        "union all select span_id, 'end' as side, market_code, channel, end_at as instant_at from spans), "
        "positions as ({{ business_positions('instants', ['span_id', 'side']) }}) "
        "select span_id, max(case when side = 'end' then business_position end) "
        "- max(case when side = 'start' then business_position end) as business_seconds "
        "from positions group by span_id"
    )
    result = subprocess.run(
        [str(BIN / "dbt"), "show", "--inline", sql, "--limit", "-1", "--output", "json", "--log-format", "json",
         "--target-path", str(built.target), "--log-path", str(built.logs)],
        cwd=ROOT, env=built.env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    for line in result.stdout.splitlines():
        event = json.loads(line)
        preview = event.get("data", {}).get("preview")
        if preview:
            return {int(r["span_id"]): r["business_seconds"] for r in json.loads(preview)}
    raise AssertionError(f"no preview in dbt show output:\n{result.stdout[-3000:]}")


def test_random_spans_match_the_reference(built: Built, clocks: dict[str, BusinessClock], tmp_path: Path) -> None:
    rng = random.Random(20241027)
    origin = datetime(2023, 1, 1)
    spans = []
    for k in range(3000):
        market = rng.choice(sorted(clocks))
        start = origin + timedelta(seconds=rng.randrange(3 * 365 * 86400))
        length = rng.choice((rng.randrange(86400), rng.randrange(14 * 86400), rng.randrange(730 * 86400)))
        spans.append((k, market, rng.choice(CHANNELS), start, start + timedelta(seconds=length)))
    engine = _engine(built, spans, tmp_path)
    wrong = [
        (k, m, c, a, b, engine.get(k), clocks[m].business_seconds(c, a, b))
        for k, m, c, a, b in spans
        if engine.get(k) != clocks[m].business_seconds(c, a, b)
    ]
    assert wrong == [], wrong[:5]


def test_the_holiday_seed_is_what_the_holidays_package_gives() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/gen_public_holidays.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_cskpi_holidays_prints_a_countrys_days_and_reference_rows(capsys: pytest.CaptureFixture[str]) -> None:
    from cskpi.cli import main

    assert main(["holidays", "--market", "RO", "--year", "2025"]) == 0
    out = capsys.readouterr().out
    assert "2025-12-01  Mon  " in out  # Romania's National Day
    assert main(["holidays", "--market", "pl", "--year", "2025", "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "market_code,holiday_date,name,is_closed"
    assert "PL,2025-11-11,National Independence Day,true" in lines
    assert main(["holidays", "--market", "XX", "--year", "2025"]) == 1
    assert "no public-holiday calendar for country 'XX'" in capsys.readouterr().err
