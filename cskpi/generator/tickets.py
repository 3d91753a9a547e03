"""Helpdesk tickets and their event history (replies, notes, status changes, escalations).

Every ticket follows the same chain of event slots; optional slots exist with some
probability. Slot times never decrease along the chain, so cutting the history at the
end of the period keeps a consistent prefix and the ticket's status, solved_at and
updated_at are derived from the events that remain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cskpi.generator import calendar as cal
from cskpi.generator.arrow import NULL_TIME
from cskpi.generator.contacts import CAT, Contacts
from cskpi.generator.context import MarketContext
from cskpi.generator.workforce import DIGITAL, ESCALATIONS, Roster

NEW, OPEN, PENDING, ON_HOLD, SOLVED, CLOSED = range(6)  # contract.TICKET_STATUSES
(CREATED, AGENT_REPLY, CUSTOMER_REPLY, INTERNAL_NOTE, STATUS_CHANGE, ASSIGNMENT, ESCALATION,
 ESCALATION_RESOLVED) = range(8)  # contract.EVENT_TYPES
AGENT, CUSTOMER, SYSTEM = range(3)  # contract.AUTHOR_TYPES
DEPARTMENTS = ("logistics", "finance", "warehouse", "it", "legal")
# Per category (contract order): department escalated to, escalation likelihood factor.
DEPARTMENT_OF = np.array([3, 0, 0, 2, 1, 2, 4, 3])
ESCALATION_FACTOR = np.array([0.2, 0.6, 1.5, 1.2, 1.5, 1.0, 2.5, 0.5])
# Per ticket channel (email, chat, web_form, social): median first reply seconds.
FIRST_REPLY = np.array([4 * cal.HOUR, 90, 5 * cal.HOUR, 1.5 * cal.HOUR])
IS_CHAT = np.array([False, True, False, False])
PRIORITY_P = {  # low, normal, high, urgent
    "default": np.array([0.2, 0.68, 0.1, 0.02]),
    "complaint": np.array([0.05, 0.45, 0.38, 0.12]),
    "payment": np.array([0.1, 0.6, 0.25, 0.05]),
}


@dataclass
class Slots:
    """Event slots of n tickets, collected column-wise and stacked into (n, K) matrices."""

    n: int

    def __post_init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {k: [] for k in
                                                  ("t", "exists", "type", "author", "agent", "public",
                                                   "sfrom", "sto", "dept")}
        self.cur = np.zeros(self.n, np.int64)

    def add(self, t: np.ndarray, exists: np.ndarray | bool, etype: int, author: np.ndarray | int,
            public: bool, sfrom: np.ndarray | int = -1, sto: int = -1,
            dept: np.ndarray | int = -1) -> np.ndarray:
        exists = np.broadcast_to(np.asarray(exists, bool), (self.n,))
        t = np.asarray(t, np.int64)
        author = np.broadcast_to(np.asarray(author, np.int8), (self.n,))
        self.cols["t"].append(t)
        self.cols["exists"].append(exists)
        self.cols["type"].append(np.full(self.n, etype, np.int8))
        self.cols["author"].append(author)
        self.cols["agent"].append((author == AGENT) | (etype == ASSIGNMENT))
        self.cols["public"].append(np.full(self.n, public))
        self.cols["sfrom"].append(np.broadcast_to(np.asarray(sfrom, np.int8), (self.n,)))
        self.cols["sto"].append(np.full(self.n, sto, np.int8))
        self.cols["dept"].append(np.broadcast_to(np.asarray(dept, np.int8), (self.n,)))
        self.cur = np.where(exists, np.maximum(self.cur, t), self.cur)
        return t

    def matrices(self) -> dict[str, np.ndarray]:
        return {k: np.stack(v, axis=1) for k, v in self.cols.items()}


def _lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: float, n: int) -> np.ndarray:
    return (median * np.exp(sigma * rng.standard_normal(n))).astype(np.int64)


def simulate_tickets(ctx: MarketContext, rng: np.random.Generator, c: Contacts,
                     roster: Roster) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Tickets of contacts ``c``: per-ticket fields, (n, K) event slot matrices under "ev_*".

    Also returns, per ticket, the instant a follow-up would start from and whether it went badly.
    """
    n = len(c)
    ch = c.channel - 1
    chat = IS_CHAT[ch]
    u = rng.random
    t0 = c.t
    s = Slots(n)
    s.add(t0, True, CREATED, np.where((ch == 2) & (u(n) < 0.3), SYSTEM, CUSTOMER), True)
    t1 = s.add(t0 + np.where(chat, rng.integers(5, 60, n), rng.integers(60, 3600, n)), True, ASSIGNMENT,
               SYSTEM, False)
    frt = _lognormal(rng, FIRST_REPLY[ch] * ctx.effect("first_reply_multiplier", t0), 0.9, n)
    t2 = s.add(np.maximum(t1 + 1, t0 + frt), True, AGENT_REPLY, AGENT, True)
    s.add(t2, True, STATUS_CHANGE, AGENT, False, NEW, OPEN)

    def customer_delay() -> np.ndarray:
        return np.where(chat, rng.integers(20, 180, n), _lognormal(rng, 5 * cal.HOUR, 0.8, n))

    def agent_delay() -> np.ndarray:
        return np.where(chat, rng.integers(10, 120, n), _lognormal(rng, FIRST_REPLY[ch] * 0.7, 0.8, n))

    conv = u(n) < np.where(chat, 0.85, 0.25)
    for more in (np.where(chat, 0.6, 0.1), None):
        tc = s.add(s.cur + customer_delay(), conv, CUSTOMER_REPLY, CUSTOMER, True)
        s.add(tc + agent_delay(), conv, AGENT_REPLY, AGENT, True)
        if more is not None:
            conv = conv & (u(n) < more)

    base = s.cur.copy()
    s.add(base + rng.integers(60, 1800, n), u(n) < 0.25, INTERNAL_NOTE, AGENT, False)
    esc_p = np.clip(ctx.effect("escalation_probability", t0) * ESCALATION_FACTOR[c.category], 0, 0.9)
    esc = u(n) < esc_p
    dept = np.where(esc, DEPARTMENT_OF[c.category], -1)
    t9 = s.add(base + rng.integers(1900, 5400, n), esc, ESCALATION, AGENT, False, dept=dept)
    s.add(t9 + 1, esc, STATUS_CHANGE, AGENT, False, OPEN, ON_HOLD)
    esc_wait = _lognormal(rng, ctx.effect("escalation_wait_hours", t0) * cal.HOUR, 0.5, n)
    t11 = s.add(t9 + esc_wait, esc, ESCALATION_RESOLVED, SYSTEM, False, dept=dept)
    s.add(t11 + 1, esc, STATUS_CHANGE, SYSTEM, False, ON_HOLD, OPEN)
    s.add(t11 + rng.integers(600, 4 * cal.HOUR, n), esc, AGENT_REPLY, AGENT, True)

    resolved = u(n) < ctx.effect("resolution_probability", t0)
    pend = u(n) < np.where(chat, 0.25, 0.5)
    replied = pend & (u(n) < 0.7)
    t14 = s.add(s.cur + 5, pend, STATUS_CHANGE, AGENT, False, OPEN, PENDING)
    t15 = s.add(t14 + customer_delay(), replied, CUSTOMER_REPLY, CUSTOMER, True)
    s.add(t15 + 1, replied, STATUS_CHANGE, SYSTEM, False, PENDING, OPEN)
    s.add(t15 + agent_delay(), replied, AGENT_REPLY, AGENT, True)
    waiting = pend & ~replied
    t18 = s.add(np.where(waiting, t14 + rng.integers(2 * cal.DAY, 4 * cal.DAY, n), s.cur + rng.integers(60, 900, n)),
                resolved, STATUS_CHANGE, AGENT, False, np.where(waiting, PENDING, OPEN), SOLVED)
    reopen = resolved & (u(n) < 0.07)
    t19 = s.add(t18 + _lognormal(rng, cal.DAY, 0.7, n), reopen, CUSTOMER_REPLY, CUSTOMER, True)
    s.add(t19 + 1, reopen, STATUS_CHANGE, SYSTEM, False, SOLVED, OPEN)
    t21 = s.add(t19 + agent_delay() + 60, reopen, AGENT_REPLY, AGENT, True)
    resolved_again = reopen & (u(n) < 0.9)
    t22 = s.add(t21 + rng.integers(60, 900, n), resolved_again, STATUS_CHANGE, AGENT, False, OPEN, SOLVED)
    last_solve = np.where(resolved_again, t22, t18)
    s.add(last_solve + 4 * cal.DAY, resolved & (~reopen | resolved_again), STATUS_CHANGE, SYSTEM, False,
          SOLVED, CLOSED)

    ev = s.matrices()
    ev["exists"] = ev["exists"] & (ev["t"] < ctx.as_of)
    status = np.full(n, NEW)
    solved_at = np.full(n, NULL_TIME)
    for k in range(ev["t"].shape[1]):
        sc = ev["exists"][:, k] & (ev["type"][:, k] == STATUS_CHANGE)
        status = np.where(sc, ev["sto"][:, k], status)
        solved_at = np.where(sc & (ev["sto"][:, k] == SOLVED), ev["t"][:, k], solved_at)
    updated = np.where(ev["exists"], ev["t"], NULL_TIME).max(axis=1)

    local_day, _ = cal.utc_to_local(t0, ctx.offsets, ctx.first_day)
    team = np.where((c.category == CAT["complaint"]) & (u(n) < 0.5), ESCALATIONS, DIGITAL)
    assignee = np.where(team == DIGITAL, roster.sample(DIGITAL, local_day, rng),
                        roster.sample(ESCALATIONS, local_day, rng))
    assigned = ev["exists"][:, 1]
    bad = ~resolved | reopen | (esc & (esc_wait > 24 * cal.HOUR)) | (frt > 24 * cal.HOUR)
    follow_from = np.where(esc, t9, np.where(resolved, t18, t2))
    tickets = {
        "created": t0, "channel": ch, "category": c.category, "customer": c.customer, "order": c.order,
        "status": status, "solved_at": solved_at, "updated": updated,
        "assignee": np.where(assigned, assignee, -1), "handled": ev["exists"][:, 2], "bad": bad,
        "resolved": np.isin(status, (SOLVED, CLOSED)), "repeat": c.repeat,
        **{f"ev_{k}": v for k, v in ev.items()},
    }
    return tickets, follow_from, bad
