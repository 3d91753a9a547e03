"""KPI marts against an independent reference computation (docs/kpis.md).

Generates a small clean data set, builds the whole project into a temporary DuckDB
file (`dbt seed` + `dbt build`, every data and unit test green), then recomputes a
set of KPIs in plain Python straight from the raw Parquet files -- own dedupe, own
time-zone conversion (zoneinfo), own flags -- without reading any dbt model, and
compares them with kpi_metrics for several markets and months, one ISO week and
one day.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from business_time_reference import BusinessClock, Opening
from fixtures.scenarios import SCENARIOS
from fixtures.warehouse import Built, Warehouses

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DBT = str(BIN / "dbt")

MARKETS = SCENARIOS["kpi_reference"].markets

# KPI defaults of docs/kpis.md (dbt_project.yml vars)
SERVICE_LEVEL_SECONDS = 20
SHORT_ABANDON_SECONDS = 5
FCR_WINDOW = dt.timedelta(days=7)
CSAT_POSITIVE_MIN = 4

PRIMARY_KEYS = {
    "helpdesk/tickets": "ticket_id",
    "helpdesk/ticket_events": "event_id",
    "helpdesk/satisfaction_ratings": "rating_id",
    "telephony/calls": "call_id",
    "shop/orders": "order_id",
    "surveys/nps_responses": "response_id",
}

pytestmark = pytest.mark.slow


# --------------------------------------------------------------------------- build


@pytest.fixture(scope="module")
def built(warehouse: Warehouses) -> Built:
    return warehouse("kpi_reference")


@pytest.fixture(scope="module")
def metrics(built: Built) -> dict[tuple, tuple]:
    with duckdb.connect(str(built.db), read_only=True) as con:
        rows = con.execute(
            "select period_grain, period_start, market_code, channel, kpi_code,"
            " numerator, denominator, value from kpi_metrics"
        ).fetchall()
    return {r[:5]: r[5:] for r in rows}


# ------------------------------------------------------------ independent reference


def _read_raw(raw: Path, table: str) -> list[dict]:
    """Latest version per primary key: latest _loaded_at, then latest updated_at."""
    con = duckdb.connect()
    cur = con.execute(f"select * from read_parquet('{raw / table}/*.parquet', union_by_name=true)")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    con.close()
    key = PRIMARY_KEYS[table]
    best: dict[str, dict] = {}
    for row in rows:
        rank = (row["_loaded_at"], row.get("updated_at") or dt.datetime.min)
        current = best.get(row[key])
        if current is None or rank > (current["_loaded_at"], current.get("updated_at") or dt.datetime.min):
            best[row[key]] = row
    return list(best.values())


def _creation_priorities(raw: Path) -> dict[str, str]:
    """Priority of the earliest version of each ticket (the SLA policy is chosen at creation)."""
    con = duckdb.connect()
    rows = con.execute(
        f"select ticket_id, priority, _loaded_at, updated_at from read_parquet('{raw}/helpdesk/tickets/*.parquet')"
    ).fetchall()
    con.close()
    first: dict[str, tuple] = {}
    for ticket_id, priority, loaded_at, updated_at in rows:
        rank = (loaded_at, updated_at or dt.datetime.min)
        if ticket_id not in first or rank < first[ticket_id][0]:
            first[ticket_id] = (rank, priority)
    return {k: v[1] for k, v in first.items()}


def _seed(name: str) -> list[dict[str, str]]:
    with open(ROOT / "seeds" / f"{name}.csv", newline="") as f:
        return list(csv.DictReader(f))


def _business_clocks() -> dict[str, BusinessClock]:
    """Business clocks of the shipped markets from the shipped seeds (the demo lands no reference data)."""
    zones = {r["market_code"]: r["timezone"] for r in _seed("markets")}
    hours = _seed("business_hours")
    closed = [r for r in _seed("public_holidays") if r["is_closed"] == "true"]
    return {
        m: BusinessClock(
            zone,
            [
                Opening(h["channel"], int(h["iso_weekday"]), h["opens_at"], h["closes_at"],
                        dt.date.fromisoformat(h["valid_from"]))
                for h in hours if h["market_code"] == m
            ],
            [dt.date.fromisoformat(r["holiday_date"]) for r in closed if r["market_code"] == m],
        )
        for m, zone in zones.items()
    }  # fmt: skip


def _sla_policy(ticket: dict, metric: str, priority: str, created_local: dt.date) -> dict[str, str] | None:
    """The shipped policy of a ticket for a metric: most specific, then the latest valid_from."""
    matches = [
        p
        for p in _seed("sla_policies")
        if p["metric"] == metric
        and p["market_code"] in ("*", ticket["market_code"])
        and p["channel"] in ("all", ticket["channel"])
        and p["priority"] in ("all", priority)
        and dt.date.fromisoformat(p["valid_from"]) <= created_local
    ]
    specific = lambda p: (  # noqa: E731
        (p["market_code"] != "*") * 4 + (p["channel"] != "all") * 2 + (p["priority"] != "all"), p["valid_from"]
    )
    return max(matches, key=specific) if matches else None


def _timezones() -> dict[str, ZoneInfo]:
    with open(ROOT / "seeds" / "markets.csv", newline="") as f:
        return {r["market_code"]: ZoneInfo(r["timezone"]) for r in csv.DictReader(f)}


class Reference:
    """Per-KPI numerators and denominators computed from raw rows in Python."""

    def __init__(self, raw: Path) -> None:
        self.raw = raw
        self.tz = _timezones()
        self.all_calls = _read_raw(raw, "telephony/calls")
        self.calls = [c for c in self.all_calls if c["direction"] == "inbound"]
        self.tickets = _read_raw(raw, "helpdesk/tickets")
        self.events = _read_raw(raw, "helpdesk/ticket_events")
        self.ratings = _read_raw(raw, "helpdesk/satisfaction_ratings")
        self.nps = _read_raw(raw, "surveys/nps_responses")
        self.orders = _read_raw(raw, "shop/orders")
        self._prepare()

    def local_date(self, ts: dt.datetime, market: str) -> dt.date:
        return ts.replace(tzinfo=dt.UTC).astimezone(self.tz[market]).date()

    def _prepare(self) -> None:
        # calls: offered = queued inbound; short abandon < 5 s; incoming = offered - short
        for c in self.calls:
            c["offered"] = c["queue_entered_at"] is not None
            c["short"] = (
                c["offered"] and c["outcome"] == "abandoned" and (c["queue_seconds"] or 0) < SHORT_ABANDON_SECONDS
            )
            c["incoming"] = c["offered"] and not c["short"]
            c["answered"] = c["incoming"] and c["outcome"] == "answered"
            c["date"] = self.local_date(c["started_at"], c["market_code"])
        # tickets: events by ticket
        by_ticket: dict[str, list[dict]] = defaultdict(list)
        for e in self.events:
            by_ticket[e["ticket_id"]].append(e)
        for t in self.tickets:
            evs = sorted(by_ticket.get(t["ticket_id"], []), key=lambda e: (e["event_at"], e["event_id"]))
            replies = [e for e in evs if e["event_type"] == "agent_reply" and e["is_public"]]
            t["first_reply_at"] = replies[0]["event_at"] if replies else None
            t["handled"] = bool(replies)
            changes = [e for e in evs if e["event_type"] == "status_change"]
            final = ("solved", "closed")
            t["ever_solved"] = t["status"] in final or any(e["status_to"] in final for e in changes)
            t["reopened"] = t["ever_solved"] and any(
                e["status_from"] in final and e["status_to"] in ("new", "open", "pending", "on_hold") for e in changes
            )
            t["date"] = self.local_date(t["created_at"], t["market_code"])
            t["resolved_at"] = t["solved_at"] if t["status"] in final else None
            t["solved_date"] = self.local_date(t["solved_at"], t["market_code"]) if t["resolved_at"] else None
        self._prepare_business_time()
        # contacts: incoming calls + tickets
        self.contacts = [
            {
                "customer_id": c["customer_id"],
                "market": c["market_code"],
                "channel": "phone",
                "at": c["started_at"],
                "date": c["date"],
                "handled": c["answered"],
                "resolved": c["answered"] and c["disposition"] == "resolved",
                "outcome_known": c["answered"] and c["disposition"] is not None,
            }
            for c in self.calls
            if c["incoming"]
        ] + [
            {
                "customer_id": t["customer_id"],
                "market": t["market_code"],
                "channel": t["channel"],
                "at": t["created_at"],
                "date": t["date"],
                "handled": t["handled"],
                "resolved": t["status"] in ("solved", "closed"),
                "outcome_known": t["handled"],
            }
            for t in self.tickets
        ]
        times: dict[str, list[dt.datetime]] = defaultdict(list)
        for k in self.contacts:
            if k["customer_id"] is not None:
                times[k["customer_id"]].append(k["at"])
        for k in self.contacts:
            k["repeat"] = k["customer_id"] is not None and any(
                k["at"] < other <= k["at"] + FCR_WINDOW for other in times[k["customer_id"]]
            )
        # ratings: market / channel of the rated ticket or call, by rated_at
        tickets = {t["ticket_id"]: t for t in self.tickets}
        calls = {c["call_id"]: c for c in self.all_calls}
        for r in self.ratings:
            src = tickets.get(r["ticket_id"]) if r["ticket_id"] else calls.get(r["call_id"])
            r["market"] = src["market_code"]
            r["channel"] = src["channel"] if r["ticket_id"] else "phone"
            r["date"] = self.local_date(r["rated_at"], r["market"])
        for n in self.nps:
            n["date"] = self.local_date(n["responded_at"], n["market_code"])
        for o in self.orders:
            o["date"] = self.local_date(o["ordered_at"], o["market_code"])

    def _prepare_business_time(self) -> None:
        """Business seconds, outside-hours calls and SLA outcomes (pending clocks decided by nothing)."""
        clocks = _business_clocks()
        priorities = _creation_priorities(self.raw)
        as_of = max(r["_loaded_at"] for r in (*self.tickets, *self.events))
        for c in self.calls:
            c["outside_hours"] = not clocks[c["market_code"]].is_open("phone", c["started_at"])
        for t in self.tickets:
            clock = clocks[t["market_code"]]
            created = t["created_at"]
            t["first_reply_business"] = (
                clock.business_seconds(t["channel"], created, t["first_reply_at"]) if t["first_reply_at"] else None
            )
            t["resolution_business"] = (
                clock.business_seconds(t["channel"], created, t["resolved_at"]) if t["resolved_at"] else None
            )
            for metric, achieved in (("first_reply", t["first_reply_at"]), ("resolution", t["resolved_at"])):
                policy = _sla_policy(t, metric, priorities.get(t["ticket_id"], t["priority"]), t["date"])
                outcome = None
                if policy is not None:
                    end = max(achieved or as_of, created)
                    target = int(policy["target_minutes"]) * 60
                    if policy["business_hours"] == "true":
                        elapsed = clock.business_seconds(t["channel"], created, end)
                    else:
                        elapsed = int((end - created).total_seconds())
                    outcome = "breached" if elapsed > target else ("achieved" if achieved else None)
                t[f"sla_{metric}"] = outcome

    # -- KPI formulas: return (numerator, denominator) for rows whose local date passes `in_period`
    def kpi(self, code: str, market: str, in_period: Callable[[dt.date], bool]) -> tuple[float | None, float]:
        calls = [c for c in self.calls if c["market_code"] == market and in_period(c["date"])]
        tickets = [t for t in self.tickets if t["market_code"] == market and in_period(t["date"])]
        contacts = [k for k in self.contacts if k["market"] == market and in_period(k["date"])]
        incoming = [c for c in calls if c["incoming"]]
        answered = [c for c in calls if c["answered"]]
        if code == "service_level":
            within_calls = sum(1 for c in answered if (c["queue_seconds"] or 0) <= SERVICE_LEVEL_SECONDS)
            thresholds = {"email": 86400, "web_form": 86400, "chat": 300, "social": 3600}
            within_tickets = sum(
                1
                for t in tickets
                if t["first_reply_at"] is not None
                and (t["first_reply_at"] - t["created_at"]).total_seconds() <= thresholds[t["channel"]]
            )
            return within_calls + within_tickets, len(incoming) + len(tickets)
        if code == "call_abandonment_rate":
            return sum(1 for c in incoming if c["outcome"] == "abandoned"), len(incoming)
        if code == "aht":
            total = sum(
                sum(c[f] or 0 for f in ("queue_seconds", "talk_seconds", "hold_seconds", "after_call_work_seconds"))
                for c in incoming
            )
            return total, len(incoming)
        if code == "avg_call_duration":
            return sum((c["talk_seconds"] or 0) + (c["hold_seconds"] or 0) for c in answered), len(answered)
        if code == "first_contact_resolution":
            base = [k for k in contacts if k["handled"] and k["customer_id"] is not None]
            # unknown is not zero: no handled contact with a known outcome -> null numerator
            known = any(k["outcome_known"] for k in base)
            return (sum(1 for k in base if k["resolved"] and not k["repeat"]) if known else None), len(base)
        if code == "repeat_contact_rate":
            known = {k["customer_id"] for k in contacts if k["customer_id"] is not None}
            anonymous = sum(1 for k in contacts if k["customer_id"] is None)
            return len(contacts) - (len(known) + anonymous), len(contacts)
        if code == "csat":
            ratings = [r for r in self.ratings if r["market"] == market and in_period(r["date"])]
            positive = sum(1 for r in ratings if r["score"] >= CSAT_POSITIVE_MIN)
            return (positive if ratings else None), len(ratings)
        if code == "first_response_time":
            replied = [t for t in tickets if t["first_reply_at"] is not None]
            return sum((t["first_reply_at"] - t["created_at"]).total_seconds() for t in replied), len(replied)
        if code == "reopen_rate":
            solved = [t for t in tickets if t["ever_solved"]]
            return sum(1 for t in solved if t["reopened"]), len(solved)
        if code == "nps":
            resp = [n for n in self.nps if n["market_code"] == market and in_period(n["date"])]
            promoters = sum(1 for n in resp if n["score"] >= 9)
            detractors = sum(1 for n in resp if n["score"] <= 6)
            return (promoters - detractors if resp else None), len(resp)
        if code == "interactions_per_order":
            orders = [o for o in self.orders if o["market_code"] == market and in_period(o["date"])]
            return (len(contacts) if orders else None), len(orders)
        if code == "first_response_time_business":
            known = [t for t in tickets if t["first_reply_business"] is not None]
            return sum(t["first_reply_business"] for t in known), len(known)
        if code == "avg_resolution_time_business":
            solved = [
                t for t in self.tickets
                if t["market_code"] == market and t["solved_date"] and in_period(t["solved_date"])
            ]  # fmt: skip
            return sum(t["resolution_business"] for t in solved), len(solved)
        if code in ("sla_attainment_first_reply", "sla_attainment_resolution"):
            metric = code.removeprefix("sla_attainment_")
            decided = [t for t in tickets if t[f"sla_{metric}"] is not None]
            return sum(1 for t in decided if t[f"sla_{metric}"] == "achieved"), len(decided)
        if code == "calls_outside_hours_share":
            return sum(1 for c in incoming if c["outside_hours"]), len(incoming)
        raise KeyError(code)


SCALE = {
    "service_level": 100,
    "call_abandonment_rate": 100,
    "first_contact_resolution": 100,
    "repeat_contact_rate": 100,
    "csat": 100,
    "reopen_rate": 100,
    "nps": 100,
    "sla_attainment_first_reply": 100,
    "sla_attainment_resolution": 100,
    "calls_outside_hours_share": 100,
}
CHECKED_KPIS = (
    "service_level",
    "call_abandonment_rate",
    "aht",
    "avg_call_duration",
    "first_contact_resolution",
    "repeat_contact_rate",
    "csat",
    "first_response_time",
    "reopen_rate",
    "nps",
    "interactions_per_order",
    "first_response_time_business",
    "avg_resolution_time_business",
    "sla_attainment_first_reply",
    "sla_attainment_resolution",
    "calls_outside_hours_share",
)


@pytest.fixture(scope="module")
def reference(built: Built) -> Reference:
    return Reference(built.raw)


def _compare(
    metrics: dict, reference: Reference, grain: str, start: dt.date, market: str, in_period: Callable[[dt.date], bool]
) -> int:
    checked = 0
    for code in CHECKED_KPIS:
        num, den = reference.kpi(code, market, in_period)
        key = (grain, start, market, "all", code)
        if den == 0 and key not in metrics:
            continue
        assert key in metrics, f"missing {key}"
        m_num, m_den, m_val = metrics[key]
        if num is None:  # unknown input: numerator and value null, never 0
            assert m_num is None and m_val is None, (key, m_num, m_val)
        else:
            assert m_num == pytest.approx(num, rel=1e-9, abs=1e-6), (key, "numerator", m_num, num)
        assert m_den == pytest.approx(den, rel=1e-9, abs=1e-6), (key, "denominator", m_den, den)
        if num is None:
            pass
        elif den == 0:
            assert m_val is None, key
        else:
            assert m_val == pytest.approx(SCALE.get(code, 1) * num / den, rel=1e-9), (key, m_val)
        checked += 1
    return checked


MONTHS = [dt.date(2024, 3, 1), dt.date(2024, 4, 1), dt.date(2024, 5, 1)]


@pytest.mark.parametrize("market", MARKETS)
@pytest.mark.parametrize("month", MONTHS, ids=lambda d: d.strftime("%Y-%m"))
def test_monthly_kpis_match_reference(metrics: dict, reference: Reference, market: str, month: dt.date) -> None:
    checked = _compare(
        metrics, reference, "month", month, market, lambda d: (d.year, d.month) == (month.year, month.month)
    )
    assert checked >= 8


@pytest.mark.parametrize("market", MARKETS)
def test_weekly_kpis_match_reference(metrics: dict, reference: Reference, market: str) -> None:
    week = dt.date(2024, 3, 25)  # ISO week containing the 2024-03-31 DST change
    checked = _compare(metrics, reference, "week", week, market, lambda d: week <= d < week + dt.timedelta(days=7))
    assert checked >= 8


@pytest.mark.parametrize("day", [dt.date(2024, 3, 31), dt.date(2024, 4, 17)], ids=str)
def test_daily_kpis_match_reference(metrics: dict, reference: Reference, day: dt.date) -> None:
    checked = _compare(metrics, reference, "day", day, "PL", lambda d: d == day)
    assert checked >= 5


def test_every_defined_kpi_is_in_kpi_metrics(built: Built) -> None:
    with duckdb.connect(str(built.db), read_only=True) as con:
        defined = {r[0] for r in con.execute("select kpi_code from kpi_definitions").fetchall()}
        present = {r[0] for r in con.execute("select distinct kpi_code from kpi_metrics").fetchall()}
        with_value = {
            r[0] for r in con.execute("select distinct kpi_code from kpi_metrics where value is not null").fetchall()
        }
    assert len(defined) == 28
    assert defined == present
    assert defined == with_value, f"KPIs never computed: {sorted(defined - with_value)}"


def test_week_and_month_are_not_sums_of_days(metrics: dict) -> None:
    """unique contacts are per period: monthly RCR numerator >= sum of daily numerators."""
    for market in MARKETS:
        month = dt.date(2024, 4, 1)
        daily = sum(
            v[0]
            for k, v in metrics.items()
            if k[0] == "day"
            and k[2] == market
            and k[3] == "all"
            and k[4] == "repeat_contact_rate"
            and (k[1].year, k[1].month) == (2024, 4)
        )
        monthly = metrics[("month", month, market, "all", "repeat_contact_rate")][0]
        assert monthly >= daily


def test_docs_generate_and_every_model_and_column_is_described(built: Built) -> None:
    target = built.db.parent / "docs_target"
    result = subprocess.run(
        [DBT, "docs", "generate", "--target-path", str(target), "--log-path", str(built.logs)],
        cwd=ROOT,
        env=built.env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    undescribed_models, undescribed_columns = [], []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node["package_name"] != "cskpi":
            continue
        if not node.get("description", "").strip():
            undescribed_models.append(node["name"])
        documented = {name.lower(): col.get("description", "").strip() for name, col in node["columns"].items()}
        for column in catalog["nodes"].get(unique_id, {}).get("columns", {}):
            if not documented.get(column.lower()):
                undescribed_columns.append(f"{node['name']}.{column}")
    assert undescribed_models == []
    assert undescribed_columns == []
