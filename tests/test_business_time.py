"""The business-time engine (models/intermediate/business_time, macro business_positions) agrees
with a plain-Python clock (tests/business_time_reference.py: zoneinfo + the same reference tables)
on every ticket and call of a built warehouse and on a few thousand random spans of up to two
years, DST changes and public holidays included."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

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


def _show(built: Built, sql: str) -> list[dict]:
    """The rows of ``sql`` (macros allowed), run by `dbt show --inline` on the warehouse."""
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
            return json.loads(preview)
    raise AssertionError(f"no preview in dbt show output:\n{result.stdout[-3000:]}")


SPAN_COLUMNS = (
    "{'span_id': 'integer', 'market_code': 'varchar', 'channel': 'varchar', "
    "'start_at': 'timestamp', 'end_at': 'timestamp', 'target_seconds': 'integer'}"
)


def _write_spans(work: Path, spans: list[tuple[int, str, str, datetime, datetime, int]]) -> Path:
    spans_csv = work / "spans.csv"
    spans_csv.write_text(
        "span_id,market_code,channel,start_at,end_at,target_seconds\n"
        + "".join(f"{k},{m},{c},{a:%Y-%m-%d %H:%M:%S},{b:%Y-%m-%d %H:%M:%S},{t}\n" for k, m, c, a, b, t in spans)
    )
    return spans_csv


def _engine(built: Built, spans: list[tuple[int, str, str, datetime, datetime]], work: Path) -> dict[int, int | None]:
    """Business seconds of each span through the macro business_positions."""
    spans_csv = _write_spans(work, [(*span, 0) for span in spans])
    sql = (
        f"with spans as (select * from read_csv('{spans_csv}', header = true, columns = {SPAN_COLUMNS})), "
        "instants as (select span_id, 'start' as side, market_code, channel, start_at as instant_at from spans "
        "union all select span_id, 'end' as side, market_code, channel, end_at as instant_at from spans), "
        "positions as ({{ business_positions('instants', ['span_id', 'side']) }}) "
        "select span_id, max(case when side = 'end' then business_position end) "
        "- max(case when side = 'start' then business_position end) as business_seconds "
        "from positions group by span_id"
    )
    return {int(r["span_id"]): r["business_seconds"] for r in _show(built, sql)}


def _due(built: Built, starts: list[tuple[int, str, str, datetime, int]], work: Path) -> dict[int, datetime | None]:
    """The instant each start's business clock has run target_seconds, through business_instants_at."""
    spans_csv = _write_spans(work, [(k, m, c, a, a, t) for k, m, c, a, t in starts])
    sql = (
        f"with spans as (select * from read_csv('{spans_csv}', header = true, columns = {SPAN_COLUMNS})), "
        "instants as (select span_id, market_code, channel, start_at as instant_at from spans), "
        "positions as ({{ business_positions('instants', ['span_id']) }}), "
        "targets as (select cast(spans.span_id as varchar) as span_key, spans.market_code, spans.channel, "
        "positions.business_position + spans.target_seconds as target_position "
        "from spans inner join positions on spans.span_id = positions.span_id), "
        "reached as ({{ business_instants_at('targets', 'span_key') }}) "
        "select span_key, strftime(instant_at, '%Y-%m-%d %H:%M:%S') as due_at from reached"
    )
    return {
        int(r["span_key"]): datetime.fromisoformat(r["due_at"]) if r["due_at"] else None for r in _show(built, sql)
    }


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


def test_random_due_times_match_the_reference(
    built: Built, clocks: dict[str, BusinessClock], tmp_path: Path
) -> None:
    """The inverse look-up: the due time of a target is the earliest instant the reference clock
    has counted the target's business seconds (targets from a second to a business year, DST and
    holidays included)."""
    rng = random.Random(20240331)
    origin = datetime(2023, 1, 1)
    starts = []
    for k in range(2000):
        market = rng.choice(sorted(clocks))
        start = origin + timedelta(seconds=rng.randrange(3 * 365 * 86400))
        # up to about a year of business time (8M business seconds at 9 h a weekday): inside the calendar
        target = rng.choice((rng.randrange(1, 3600), rng.randrange(1, 5 * 86400), rng.randrange(1, 8_000_000)))
        starts.append((k, market, rng.choice(CHANNELS), start, target))
    due = _due(built, starts, tmp_path)
    wrong = []
    for k, market, channel, start, target in starts:
        at = due.get(k)
        clock = clocks[market]
        if at is None or clock.business_seconds(channel, start, at) != target or (
            clock.business_seconds(channel, start, at - timedelta(seconds=1)) >= target
        ):
            wrong.append((k, market, channel, start, target, at))
    assert wrong == [], wrong[:5]


def test_sla_clocks_match_the_reference(built: Built, clocks: dict[str, BusinessClock]) -> None:
    """Every business-hours SLA clock of fct_ticket_slas: elapsed business seconds up to achievement
    (or the as-of time) and the due time agree with the reference clock; breaches follow from them."""
    con = duckdb.connect(str(built.db), read_only=True)
    try:
        rows = con.execute(
            "select sla_key, market_code, channel, started_at, due_at, achieved_at, as_of_at, elapsed_seconds, "
            "target_minutes, is_breached from fct_ticket_slas where is_business_hours"
        ).fetchall()
    finally:
        con.close()
    checked = 0
    for key, market, channel, started, due, achieved, as_of, elapsed, target_minutes, breached in rows:
        clock = clocks[market]
        end = max(achieved or as_of, started)
        assert elapsed == clock.business_seconds(channel, started, end), (key, started, end)
        assert clock.business_seconds(channel, started, due) == target_minutes * 60, (key, started, due)
        assert breached == (elapsed > target_minutes * 60), key
        checked += 1
    assert checked > 200


def test_the_daily_backlog_is_a_direct_count_of_open_tickets(built: Built) -> None:
    """kpi_backlog_daily against a plain count: for sampled local days of every market, the tickets
    created before the local end of the day whose last status change before it leaves them open, by
    channel, status and age band, and those of them with an SLA clock due and not yet achieved."""
    con = duckdb.connect(str(built.db), read_only=True)
    try:
        zones = dict(con.execute("select market_code, timezone from stg_reference__markets").fetchall())
        tickets = con.execute("select ticket_id, market_code, channel, created_at, status from fct_tickets").fetchall()
        changes = con.execute(
            "select ticket_id, event_at, status_to from stg_helpdesk__ticket_events "
            "where event_type = 'status_change' and status_to is not null order by event_at, event_id"
        ).fetchall()
        clocks = con.execute("select ticket_id, due_at, achieved_at from fct_ticket_slas where due_at is not null")
        clocks = clocks.fetchall()
        (as_of,) = con.execute("select max(loaded_at) from int_tickets__enriched").fetchone()
        backlog = {
            (m, c, d, s, b): (n, p)
            for m, c, d, s, b, n, p in con.execute("select * from kpi_backlog_daily").fetchall()
        }
    finally:
        con.close()
    history: dict[str, list[tuple[datetime, str]]] = {}
    for ticket_id, at, status in changes:
        history.setdefault(ticket_id, []).append((at, status))
    due: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for ticket_id, due_at, achieved_at in clocks:
        due.setdefault(ticket_id, []).append((due_at, achieved_at))
    rng = random.Random(7)
    checked = 0
    for market, zone in sorted(zones.items()):
        days = sorted({d for m, _, d, _, _ in backlog if m == market})
        if not days:
            continue
        for day in rng.sample(days, min(6, len(days))) + [days[-1]]:
            local_end = datetime.combine(day + timedelta(days=1), datetime.min.time(), ZoneInfo(zone))
            end = local_end.astimezone(UTC).replace(tzinfo=None)
            expected: dict[tuple, list[int]] = {}
            for ticket_id, m, channel, created, current in tickets:
                if m != market or created >= end:
                    continue
                past = [s for at, s in history.get(ticket_id, []) if at < end]
                status = past[-1] if past else ("new" if ticket_id in history else current)
                if status not in ("new", "open", "pending", "on_hold"):
                    continue
                age = (end - created).total_seconds() / 86400
                band = "0-1" if age <= 1 else "1-3" if age <= 3 else "3-7" if age <= 7 else "7+"
                late = any(d < end and (a is None or a >= end) for d, a in due.get(ticket_id, []))
                counts = expected.setdefault((market, channel, day, status, band), [0, 0])
                counts[0] += 1
                counts[1] += late
            got = {k: list(v) for k, v in backlog.items() if k[0] == market and k[2] == day}
            assert got == expected, (market, day)
            checked += 1
    assert checked >= 10
    assert end <= as_of + timedelta(days=1)


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
