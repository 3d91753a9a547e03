"""Telephony: IVR, a queue that degrades when load exceeds the staffing plan, and agents."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cskpi.generator import calendar as cal
from cskpi.generator.arrow import NULL_TIME
from cskpi.generator.contacts import Contacts
from cskpi.generator.context import MarketContext
from cskpi.generator.workforce import PHONE, PHONE_HANDLE_SECONDS, Roster

ANSWERED, ABANDONED, IVR_COMPLETED, CALLBACK, VOICEMAIL = range(5)  # contract.CALL_OUTCOMES order
RESOLVED, UNRESOLVED, TRANSFERRED, ESCALATED = range(4)  # contract.CALL_DISPOSITIONS order
SERVICE_LEVEL_TARGET = 0.8  # the plan staffs for 80 % answered within 20 s
TALK_MEAN = 215.0
TALK_FACTOR = np.array([0.9, 0.7, 0.95, 1.1, 1.0, 1.25, 1.5, 0.9])  # per category
IVR_SELF_SERVICE = np.array([0.02, 0.25, 0.08, 0.03, 0.1, 0.02, 0.0, 0.04])


def _lognormal_mean(rng: np.random.Generator, mean: np.ndarray | float, sigma: float, n: int) -> np.ndarray:
    return mean * np.exp(sigma * rng.standard_normal(n) - sigma**2 / 2)


def erlang_c(agents: np.ndarray, load: np.ndarray) -> np.ndarray:
    """Probability of waiting (Erlang C) per bin, via the stable Erlang B recursion."""
    b = np.ones_like(load)
    for k in range(1, int(agents.max(initial=0)) + 1):
        ab = load * b
        b = np.where(k <= agents, ab / (k + ab), b)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = agents * b / (agents - load * (1 - b))
    return np.where((load < agents) & (agents > 0), np.clip(c, 0, 1), 1.0)


@dataclass
class QueueGrid:
    """Per local hour of a chunk: agents staffed, probability of waiting and mean wait."""

    first_day: int
    is_open: np.ndarray
    p_wait: np.ndarray
    mean_wait: np.ndarray

    def bins(self, ctx: MarketContext, t: np.ndarray) -> np.ndarray:
        day, secs = cal.utc_to_local(t, ctx.offsets, ctx.first_day)
        return np.clip((day - self.first_day) * 24 + secs // cal.HOUR, 0, len(self.is_open) - 1)


def build_grid(ctx: MarketContext, t: np.ndarray, day_lo: int, day_hi: int) -> QueueGrid:
    """Staff each hour for the *average* load of its weekday type and hour, damped for seasons.

    Real peaks (Monday mornings, Black Friday, December) therefore meet too few agents.
    """
    first = day_lo - 1
    ndays = day_hi - day_lo + 3
    days = np.arange(first, first + ndays)
    idx = ctx.idx(days)
    grid = QueueGrid(first, np.zeros(ndays * 24, bool), np.zeros(ndays * 24), np.zeros(ndays * 24))
    counts = np.bincount(grid.bins(ctx, t), minlength=ndays * 24).reshape(ndays, 24).astype(np.float64)
    aht = PHONE_HANDLE_SECONDS * ctx.effects["talk_seconds_multiplier"][idx]
    load = counts * 0.95 * aht[:, None] / 3600  # a few callers finish in the IVR
    wd = cal.weekday(days)
    hours = np.arange(24)
    is_open = (hours[None, :] >= cal.OPEN_FROM[wd][:, None]) & (hours[None, :] < cal.OPEN_TO[wd][:, None])
    daytype = np.minimum(wd, 5) + (wd == 6)
    season = ctx.season[idx]
    active = days >= ctx.launch_day
    planned = np.zeros_like(load)
    for dt in range(3):
        sel = (daytype == dt) & active
        if sel.any():
            typical = (load[sel] / season[sel, None]).mean(axis=0)
            planned[daytype == dt] = typical[None, :]
    planned *= season[:, None] ** 0.6
    agents = np.where(is_open, np.maximum(np.ceil(planned), 1), 0).astype(np.int64)
    for _ in range(60):  # add agents until the plan meets the service level target
        c = erlang_c(agents, planned)
        sl = 1 - c * np.exp(-np.maximum(agents - planned, 0) * 20 / aht[:, None])
        short = is_open & (sl < SERVICE_LEVEL_TARGET)
        if not short.any():
            break
        agents = agents + short
    agents = np.where(is_open, np.maximum(np.ceil(agents * ctx.effects["staffing_multiplier"][idx, None]), 1), 0)
    agents = agents.astype(np.int64)
    c = erlang_c(agents, load)
    overload = load >= agents
    spare = np.where(overload, 0.08 * agents, agents - load)
    mean_wait = np.clip(aht[:, None] / np.maximum(spare, 0.05), 5, 1800)
    grid.is_open = is_open.ravel()
    grid.p_wait = np.where(overload, 1.0, c).ravel()
    grid.mean_wait = mean_wait.ravel()
    return grid


def simulate_calls(ctx: MarketContext, rng: np.random.Generator, c: Contacts, grid: QueueGrid,
                   roster: Roster) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Inbound calls of contacts ``c`` plus the outbound call-backs they cause.

    Also returns, per inbound call, when it ended and whether it left the caller unhappy.
    """
    n = len(c)
    b = grid.bins(ctx, c.t)
    ivr = np.clip(_lognormal_mean(rng, 35.0, 0.45, n), 5, 300).astype(np.int64)
    closed = ~grid.is_open[b]
    self_service = ~closed & (rng.random(n) < IVR_SELF_SERVICE[c.category])
    queued = ~closed & ~self_service
    wait = np.where(rng.random(n) < grid.p_wait[b], rng.exponential(grid.mean_wait[b]), 0.0)
    wait = wait + rng.uniform(1, 6, n)
    patience = _lognormal_mean(rng, 160.0, 0.9, n)
    patience = np.where(rng.random(n) < 0.03, rng.uniform(0, 4.9, n), patience)  # hang up at once
    gave_up = queued & (patience < wait)
    callback = gave_up & (wait > 60) & (rng.random(n) < 0.15)
    answered = queued & ~gave_up
    queue_s = np.where(queued, np.where(gave_up, patience, wait), 0).astype(np.int64)

    talk_mult = ctx.effect("talk_seconds_multiplier", c.t)
    talk = np.where(answered, _lognormal_mean(rng, TALK_MEAN * TALK_FACTOR[c.category] * talk_mult, 0.55, n), 0)
    hold = np.where(answered & (rng.random(n) < 0.35), _lognormal_mean(rng, 70.0 * talk_mult, 0.6, n), 0)
    acw = np.where(answered, _lognormal_mean(rng, 40.0, 0.5, n), 0)
    talk, hold, acw = (np.rint(x).astype(np.int64) for x in (talk, hold, acw))

    esc_p = 0.5 * ctx.effect("escalation_probability", c.t)
    res_p = ctx.effect("resolution_probability", c.t)
    r = rng.random(n)
    disposition = np.where(r < esc_p, ESCALATED, np.where(r < esc_p + res_p * (1 - esc_p), RESOLVED,
                                                          np.where(rng.random(n) < 0.6, UNRESOLVED, TRANSFERRED)))
    disposition = np.where(answered, disposition, -1)
    esc_wait = np.where(disposition == ESCALATED,
                        _lognormal_mean(rng, ctx.effect("escalation_wait_hours", c.t) * cal.HOUR, 0.5, n), 0)
    esc_wait = esc_wait.astype(np.int64)

    started = c.t
    entered = np.where(queued, started + ivr, NULL_TIME)
    answered_at = np.where(answered, entered + queue_s, NULL_TIME)
    ended = np.select(
        [answered, queued, closed],
        [answered_at + talk + hold, entered + queue_s, started + ivr + rng.integers(15, 90, n)],
        started + ivr,
    )
    outcome = np.select([answered, callback, gave_up, closed], [ANSWERED, CALLBACK, ABANDONED, VOICEMAIL],
                        IVR_COMPLETED)
    local_day, _ = cal.utc_to_local(started, ctx.offsets, ctx.first_day)
    agent = np.where(answered, roster.sample(PHONE, local_day, rng), -1)
    bad = (gave_up | closed | (answered & (disposition != RESOLVED)) | (queue_s > 300)
           | (esc_wait > 24 * cal.HOUR))
    calls = {
        "started": started, "ivr": ivr, "entered": entered, "queue_s": queue_s, "answered_at": answered_at,
        "ended": ended, "agent": agent, "talk": talk, "hold": hold, "acw": acw, "outcome": outcome,
        "disposition": disposition, "inbound": np.ones(n, bool), "category": c.category,
        "customer": c.customer, "order": c.order, "bad": bad, "handled": answered,
        "resolved": disposition == RESOLVED, "repeat": c.repeat,
    }
    # Agents call back customers who asked for it and those whose escalation came back.
    delay = np.where(callback, rng.integers(600, 3 * cal.HOUR, n), esc_wait + rng.integers(300, 2 * cal.HOUR, n))
    follow = (callback | (disposition == ESCALATED)) & (ended + delay < ctx.as_of)
    out = _outbound(ctx, rng, c.take(np.flatnonzero(follow)), (ended + delay)[follow], roster)
    return {k: np.concatenate([calls[k], out[k]]) for k in calls}, ended, bad


def _outbound(ctx: MarketContext, rng: np.random.Generator, c: Contacts, started: np.ndarray,
              roster: Roster) -> dict[str, np.ndarray]:
    n = len(c)
    ring = rng.integers(5, 25, n)
    answered = rng.random(n) < 0.75
    talk = np.where(answered, _lognormal_mean(rng, 150.0, 0.5, n), 0).astype(np.int64)
    acw = np.where(answered, _lognormal_mean(rng, 30.0, 0.5, n), 0).astype(np.int64)
    answered_at = np.where(answered, started + ring, NULL_TIME)
    local_day, _ = cal.utc_to_local(started, ctx.offsets, ctx.first_day)
    zeros = np.zeros(n, np.int64)
    return {
        "started": started, "ivr": zeros, "entered": np.full(n, NULL_TIME), "queue_s": zeros,
        "answered_at": answered_at, "ended": np.where(answered, answered_at + talk, started + ring),
        "agent": np.where(answered, roster.sample(PHONE, local_day, rng), -1), "talk": talk, "hold": zeros,
        "acw": acw, "outcome": np.where(answered, ANSWERED, VOICEMAIL),
        "disposition": np.where(answered, np.where(rng.random(n) < 0.9, RESOLVED, UNRESOLVED), -1),
        "inbound": np.zeros(n, bool), "category": c.category, "customer": c.customer, "order": c.order,
        "bad": np.zeros(n, bool), "handled": np.zeros(n, bool), "resolved": np.zeros(n, bool),
        "repeat": np.zeros(n, bool),
    }

