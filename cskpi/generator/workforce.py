"""Agents (hires, leavers, teams), employee pulse surveys and monthly operating costs."""

from __future__ import annotations

import calendar as pycal
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cskpi.generator import calendar as cal
from cskpi.generator import fake
from cskpi.generator.arrow import NULL_INT, build
from cskpi.generator.context import MarketContext
from cskpi.generator.ids import Counters, format_ids

WORKFORCE, FINANCE = 3, 4  # system indexes for the load schedule
PHONE, DIGITAL, ESCALATIONS = range(3)
TEAM_NAMES = ("Phone", "Digital", "Escalations")
NEVER = 10**9  # left_day of agents still employed

CONTACTS_PER_ORDER = 0.36  # expected contacts per order incl. repeats, for capacity planning
PHONE_HANDLE_SECONDS = 290.0
TICKET_HANDLE_SECONDS = 540.0
OCCUPANCY = 0.55
HOURS_PER_AGENT_MONTH = 70.0  # productive queue hours: part-time, shrinkage, back-office work


@dataclass
class Roster:
    number: np.ndarray
    team: np.ndarray
    outsourced: np.ndarray
    hired_day: np.ndarray
    left_day: np.ndarray  # NEVER while employed

    def sample(self, team: int, days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """An agent of ``team`` employed on each local epoch day (falls back to any team)."""
        out = np.empty(len(days), dtype=np.int64)
        if not len(days):
            return out
        draws = rng.random(len(days))
        for day in np.unique(days):
            sel = days == day
            active = (self.hired_day <= day) & (self.left_day >= day)
            cand = self.number[active & (self.team == team)]
            if not len(cand):
                cand = self.number[active] if active.any() else self.number[self.team == team]
            if not len(cand):
                cand = self.number
            out[sel] = cand[(draws[sel] * len(cand)).astype(np.int64)]
        return out


def _months(first_day: int, end_day: int) -> list[tuple[int, int]]:
    """(first epoch day, days in month) of every month overlapping [first_day, end_day)."""
    d = cal.from_epoch_day(first_day).replace(day=1)
    out = []
    while cal.epoch_day(d) < end_day:
        dim = pycal.monthrange(d.year, d.month)[1]
        out.append((cal.epoch_day(d), dim))
        d = d.replace(year=d.year + (d.month == 12), month=d.month % 12 + 1)
    return out


def _targets(ctx: MarketContext, month_day: int, dim: int) -> np.ndarray:
    """Headcount per team needed in a month, from expected demand (the staffing plan)."""
    idx = ctx.idx(np.arange(month_day, month_day + dim))
    orders = ctx.expected_orders[idx]
    contacts = orders * (CONTACTS_PER_ORDER + 0.035 * (ctx.effects["pre_sales_share_multiplier"][idx] - 1))
    phone_share = ctx.market.channel_mix[0]
    phone_hours = (contacts * phone_share * PHONE_HANDLE_SECONDS
                   * ctx.effects["talk_seconds_multiplier"][idx] * ctx.effects["staffing_multiplier"][idx])
    ticket_hours = contacts * (1 - phone_share) * TICKET_HANDLE_SECONDS
    phone = phone_hours.sum() / 3600 / OCCUPANCY / HOURS_PER_AGENT_MONTH
    digital = ticket_hours.sum() / 3600 / OCCUPANCY / HOURS_PER_AGENT_MONTH
    if not orders.any():
        return np.zeros(3, dtype=np.int64)
    return np.array([max(2, round(phone)), max(2, round(digital)), max(1, round(0.1 * (phone + digital)))])


def build_roster(ctx: MarketContext, counters: Counters, rng: np.random.Generator) -> tuple[Roster, pa.Table]:
    months = _months(max(ctx.launch_day, ctx.start_day), ctx.end_day)
    teams: list[int] = []
    outs: list[bool] = []
    hired: list[int] = []
    left: list[int] = []
    share = ctx.market.outsourced_share
    out_share = (share * 1.3, share * 0.7, 0.0)
    for mi, (mday, dim) in enumerate(months):
        target = _targets(ctx, mday, dim)
        month_end = mday + dim - 1
        for team in range(3):
            active = [i for i in range(len(teams)) if teams[i] == team and left[i] > month_end - dim]
            if mi > 0:
                for i in active:  # monthly attrition, higher for outsourced agents
                    if rng.random() < (0.045 if outs[i] else 0.022):
                        left[i] = max(hired[i], mday + int(rng.integers(0, dim)))
                keep = [i for i in active if left[i] == NEVER]
                excess = len(keep) - int(np.ceil(target[team] * 1.15))
                for i in sorted(keep, key=lambda j: (not outs[j], -hired[j]))[:max(excess, 0)]:
                    left[i] = mday - 1  # contract ended with the previous month
                active = [i for i in keep if left[i] == NEVER]
            for _ in range(max(0, int(target[team]) - len(active))):
                if mi == 0 and ctx.launch_day < ctx.start_day:
                    lo = max(ctx.launch_day - 20, ctx.start_day - 4 * 365)
                    day = int(rng.integers(lo, ctx.start_day))
                elif mi == 0:
                    day = ctx.launch_day - int(rng.integers(7, 30))  # trained before launch
                else:
                    day = mday + int(rng.integers(0, 10))
                teams.append(team)
                outs.append(bool(rng.random() < out_share[team]))
                hired.append(day)
                left.append(NEVER)
    n = len(teams)
    roster = Roster(
        number=counters.take("agent", n),
        team=np.array(teams, dtype=np.int64),
        outsourced=np.array(outs, dtype=bool),
        hired_day=np.array(hired, dtype=np.int64),
        left_day=np.array(left, dtype=np.int64),
    )
    return roster, agents_table(ctx, roster, rng)


def agents_table(ctx: MarketContext, r: Roster, rng: np.random.Generator) -> pa.Table:
    lang = ctx.market.language if ctx.market.language in fake.FIRST_NAMES else "de"
    firsts = fake.FIRST_NAMES[lang]
    lasts = fake.LAST_NAMES[lang]
    fi = rng.integers(0, len(firsts), len(r.number))
    li = rng.integers(0, len(lasts), len(r.number))
    names = [f"{firsts[a]} {lasts[b]}" for a, b in zip(fi, li, strict=True)]
    emails = [f"{firsts[a]}.{lasts[b]}.{num}@support-{ctx.market.code}.example.com".lower()
              for a, b, num in zip(fi, li, r.number, strict=True)]
    known_left = r.left_day < ctx.end_day  # leaving dates after the cut-off are not known yet
    last_change = np.where(known_left, r.left_day, r.hired_day)
    return build("workforce/agents", {
        "agent_id": format_ids("agent", r.number),
        "full_name": pa.array(names, pa.string()),
        "email": pa.array(emails, pa.string()),
        "team": pa.array([f"{ctx.market.code} {TEAM_NAMES[t]}" for t in r.team], pa.string()),
        "market_code": pa.array([ctx.market.code] * len(r.number), pa.string()),
        "employment": pa.array(np.where(r.outsourced, "outsourced", "in_house").tolist(), pa.string()),
        "hired_on": r.hired_day,
        "left_on": np.where(known_left, r.left_day, NULL_INT),
        "_loaded_at": cal.load_time(np.maximum(last_change, ctx.start_day - 1) * cal.DAY, WORKFORCE),
    })


def employee_surveys(ctx: MarketContext, r: Roster, counters: Counters, rng: np.random.Generator) -> pa.Table:
    """Monthly pulse survey: every employed agent is asked, a bit over half answer."""
    agent, when = [], []
    for mday, _dim in _months(max(ctx.launch_day, ctx.start_day), ctx.end_day):
        day = mday + 14 + int(rng.integers(0, 6))
        if not ctx.start_day <= day < ctx.end_day:
            continue
        active = (r.hired_day <= day) & (r.left_day >= day) & (rng.random(len(r.number)) < 0.55)
        agent.append(np.flatnonzero(active))
        when.append(np.full(int(active.sum()), day, dtype=np.int64))
    idx = np.concatenate(agent) if agent else np.empty(0, np.int64)
    day = np.concatenate(when) if when else np.empty(0, np.int64)
    mean = 3.85 + ctx.effects["esat_shift"][ctx.idx(day)] - 0.25 * r.outsourced[idx]
    score = np.clip(np.rint(mean + 0.9 * rng.standard_normal(len(idx))), 1, 5).astype(np.int64)
    return build("workforce/employee_surveys", {
        "response_id": format_ids("esurvey", counters.take("esurvey", len(idx))),
        "agent_id": format_ids("agent", r.number[idx]),
        "survey_date": day,
        "score": score,
        "_loaded_at": cal.load_time(day * cal.DAY + 12 * cal.HOUR, WORKFORCE),
    })


def operating_costs(ctx: MarketContext, r: Roster, call_minutes: dict[int, float]) -> pa.Table:
    """One row per month and cost type while the market is active, in local currency."""
    m = ctx.market
    rows: dict[str, list] = {k: [] for k in ("cost_month", "cost_type", "amount", "loaded")}
    for mday, dim in _months(ctx.start_day, ctx.end_day):
        lo, hi = max(mday, ctx.start_day, ctx.launch_day), min(mday + dim, ctx.end_day)
        if lo >= hi:
            continue
        days = np.arange(lo, hi)
        active = (r.hired_day[:, None] <= days) & (r.left_day[:, None] >= days)
        agent_days = active.sum(axis=1)
        in_house = agent_days[~r.outsourced].sum() / dim
        outsourced = agent_days[r.outsourced].sum() / dim
        amounts = {
            "salaries": in_house * m.monthly_salary,
            "outsourcing": outsourced * m.monthly_salary * 1.15,
            "tools": (in_house + outsourced) * m.tool_cost_per_agent,
            "telephony": call_minutes.get(mday, 0.0) * m.telephony_per_minute,
            "other": m.other_monthly * ctx.config.scale * (hi - lo) / dim,
        }
        for cost_type, amount in amounts.items():
            rows["cost_month"].append(mday)
            rows["cost_type"].append(cost_type)
            rows["amount"].append(round(float(amount), 2))
            # Booked a few days after the month closes, at the latest by the end of the period.
            rows["loaded"].append(min(mday + dim + 4, ctx.end_day) * cal.DAY - 1)
    n = len(rows["cost_month"])
    return build("finance/operating_costs", {
        "cost_month": np.array(rows["cost_month"], dtype=np.int64),
        "market_code": pa.array([m.code] * n, pa.string()),
        "cost_type": pa.array(rows["cost_type"], pa.string()),
        "amount": np.array(rows["amount"], dtype=np.float64),
        "currency": pa.array([m.currency] * n, pa.string()),
        "_loaded_at": cal.load_time(np.array(rows["loaded"], dtype=np.int64), FINANCE),
    })
