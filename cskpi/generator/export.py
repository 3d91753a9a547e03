"""Arrow tables of simulated calls, tickets and ticket events."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cskpi import contract
from cskpi.generator import calendar as cal
from cskpi.generator import fake
from cskpi.generator.arrow import build, codes_to_strings
from cskpi.generator.context import MarketContext
from cskpi.generator.ids import Counters, format_ids
from cskpi.generator.tickets import DEPARTMENTS

HELPDESK, TELEPHONY = 0, 1
_SUBJECTS = [s for cat in contract.CATEGORIES for s in fake.SUBJECTS[cat]]
_SUBJECT_START = np.cumsum([0] + [len(fake.SUBJECTS[c]) for c in contract.CATEGORIES])
_PRE_SALES = contract.CATEGORIES.index("pre_sales")


def calls_table(ctx: MarketContext, rng: np.random.Generator, ids: pa.Array, k: dict[str, np.ndarray]) -> pa.Table:
    n = len(ids)
    known = k["customer"] >= 0
    numbers = pc.if_else(pa.array(known), fake.phone_numbers(ctx.market.phone_prefix, k["customer"]),
                         fake.random_phones(rng, ctx.market.phone_prefix, n))
    return build("telephony/calls", {
        "call_id": ids,
        "direction": pa.array(np.where(k["inbound"], "inbound", "outbound").tolist(), pa.string()),
        "market_code": pa.array([ctx.market.code] * n, pa.string()),
        "queue": codes_to_strings(contract.CATEGORIES, k["category"]),
        "customer_id": format_ids("customer", k["customer"]),
        "caller_number": numbers,
        "started_at": k["started"],
        "ivr_seconds": k["ivr"],
        "queue_entered_at": k["entered"],
        "queue_seconds": k["queue_s"],
        "answered_at": k["answered_at"],
        "ended_at": k["ended"],
        "agent_id": format_ids("agent", k["agent"]),
        "talk_seconds": k["talk"],
        "hold_seconds": k["hold"],
        "after_call_work_seconds": k["acw"],
        "outcome": codes_to_strings(contract.CALL_OUTCOMES, k["outcome"]),
        "disposition": codes_to_strings(contract.CALL_DISPOSITIONS, k["disposition"]),
        "_loaded_at": cal.load_time(k["ended"], TELEPHONY),
    })


def _subjects(ctx: MarketContext, rng: np.random.Generator, category: np.ndarray, created: np.ndarray) -> pa.Array:
    n = len(category)
    size = _SUBJECT_START[category + 1] - _SUBJECT_START[category]
    idx = _SUBJECT_START[category] + (rng.random(n) * size).astype(np.int64)
    text = pa.array(_SUBJECTS).take(pa.array(idx))
    legit = (category == _PRE_SALES) & (rng.random(n) < ctx.effect("legitimacy_question_share", created))
    return pc.if_else(pa.array(legit), fake.pick(rng, fake.LEGITIMACY_SUBJECTS, n), text)


def tickets_table(ctx: MarketContext, rng: np.random.Generator, ids: pa.Array,
                  k: dict[str, np.ndarray]) -> pa.Table:
    n = len(ids)
    cat = k["category"]
    u = rng.random(n)
    priority = np.select(
        [cat == contract.CATEGORIES.index("complaint"), cat == contract.CATEGORIES.index("payment")],
        [np.searchsorted(np.cumsum([0.05, 0.45, 0.38]), u), np.searchsorted(np.cumsum([0.1, 0.6, 0.25]), u)],
        np.searchsorted(np.cumsum([0.2, 0.68, 0.1]), u),
    )
    known = k["customer"] >= 0
    email = pc.if_else(pa.array(known), fake.customer_emails(k["customer"]), fake.guest_emails(rng, n))
    return build("helpdesk/tickets", {
        "ticket_id": ids,
        "market_code": pa.array([ctx.market.code] * n, pa.string()),
        "channel": codes_to_strings(contract.TICKET_CHANNELS, k["channel"]),
        "customer_id": format_ids("customer", k["customer"]),
        "order_id": format_ids("order", k["order"]),
        "category": codes_to_strings(contract.CATEGORIES, cat),
        "priority": codes_to_strings(contract.PRIORITIES, priority),
        "status": codes_to_strings(contract.TICKET_STATUSES, k["status"]),
        "assignee_agent_id": format_ids("agent", k["assignee"]),
        "created_at": k["created"],
        "updated_at": k["updated"],
        "solved_at": k["solved_at"],
        "requester_email": email,
        "subject": _subjects(ctx, rng, cat, k["created"]),
        "_loaded_at": cal.load_time(k["updated"], HELPDESK),
    })


def events_table(counters: Counters, ids: pa.Array, k: dict[str, np.ndarray]) -> pa.Table:
    exists = k["ev_exists"]
    rows, _slots = np.nonzero(exists)  # row-major: each ticket's events in time order
    flat = {name: k[f"ev_{name}"][exists] for name in ("t", "type", "author", "agent", "public", "sfrom",
                                                        "sto", "dept")}
    agent = np.where(flat["agent"], k["assignee"][rows], -1)
    t = flat["t"]
    return build("helpdesk/ticket_events", {
        "event_id": format_ids("event", counters.take("event", len(t))),
        "ticket_id": ids.take(pa.array(rows)),
        "event_at": t,
        "event_type": codes_to_strings(contract.EVENT_TYPES, flat["type"]),
        "author_type": codes_to_strings(contract.AUTHOR_TYPES, flat["author"]),
        "agent_id": format_ids("agent", agent),
        "is_public": flat["public"],
        "status_from": codes_to_strings(contract.TICKET_STATUSES, flat["sfrom"]),
        "status_to": codes_to_strings(contract.TICKET_STATUSES, flat["sto"]),
        "escalated_to": codes_to_strings(DEPARTMENTS, flat["dept"]),
        "_loaded_at": cal.load_time(t, HELPDESK),
    })


