"""Customer feedback: CSAT ratings, CES after contacts and NPS after purchases."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cskpi.generator import calendar as cal
from cskpi.generator import fake
from cskpi.generator.arrow import NULL_TIME, build, null_strings
from cskpi.generator.context import MarketContext
from cskpi.generator.ids import Counters, format_ids
from cskpi.generator.orders import Orders

HELPDESK, SURVEYS = 0, 5
BAD_POSITIVE = 0.3  # chance an unhappy customer still gives 4-5


def _csat_scores(rng: np.random.Generator, positive_p: np.ndarray) -> np.ndarray:
    n = len(positive_p)
    positive = rng.random(n) < positive_p
    return np.where(positive, np.where(rng.random(n) < 0.65, 5, 4), rng.choice([1, 2, 3], n, p=[0.4, 0.3, 0.3]))


def ratings(ctx: MarketContext, rng: np.random.Generator, counters: Counters, ticket_ids: pa.Array,
            tk: dict[str, np.ndarray], call_ids: pa.Array, calls: dict[str, np.ndarray]) -> pa.Table:
    """CSAT surveys after solved tickets and answered inbound calls."""
    t_rate = ctx.effect("rating_response_rate", tk["created"])
    t_pick = tk["handled"] & (tk["solved_at"] != NULL_TIME) & (rng.random(len(t_rate)) < t_rate)
    t_at = tk["solved_at"] + (2 * cal.HOUR * np.exp(0.8 * rng.standard_normal(len(t_rate)))).astype(np.int64)
    c_rate = ctx.effect("rating_response_rate", calls["started"])
    c_pick = calls["handled"] & (rng.random(len(c_rate)) < c_rate)
    c_at = calls["ended"] + rng.integers(60, 1800, len(c_rate))
    t_pick &= t_at < ctx.as_of
    c_pick &= c_at < ctx.as_of
    ti, ci = np.flatnonzero(t_pick), np.flatnonzero(c_pick)
    bad = np.concatenate([tk["bad"][ti], calls["bad"][ci]])
    at = np.concatenate([t_at[ti], c_at[ci]])
    order = np.argsort(at, kind="stable")
    bad, at = bad[order], at[order]
    n = len(at)
    p_pos = np.where(bad, BAD_POSITIVE, ctx.effect("csat_positive_probability", at))
    score = _csat_scores(rng, p_pos)
    ticket_col = pa.concat_arrays([ticket_ids.take(pa.array(ti)), null_strings(len(ci))]).take(pa.array(order))
    call_col = pa.concat_arrays([null_strings(len(ti)), call_ids.take(pa.array(ci))]).take(pa.array(order))
    has_comment = rng.random(n) < 0.3
    comment = pc.if_else(pa.array(score >= 4), fake.pick(rng, fake.POSITIVE_COMMENTS, n),
                         fake.pick(rng, fake.NEGATIVE_COMMENTS, n))
    return build("helpdesk/satisfaction_ratings", {
        "rating_id": format_ids("rating", counters.take("rating", n)),
        "ticket_id": ticket_col,
        "call_id": call_col,
        "score": score,
        "rated_at": at,
        "comment": pc.if_else(pa.array(has_comment), comment, null_strings(n)),
        "_loaded_at": cal.load_time(at, HELPDESK),
    })


def ces(ctx: MarketContext, rng: np.random.Generator, counters: Counters, ticket_ids: pa.Array,
        tk: dict[str, np.ndarray], call_ids: pa.Array, calls: dict[str, np.ndarray]) -> pa.Table:
    """Customer effort surveys sent to identified customers after a handled contact."""
    t_end = np.where(tk["solved_at"] != NULL_TIME, tk["solved_at"], tk["updated"])
    t_pick = tk["handled"] & (tk["customer"] >= 0) & (rng.random(len(t_end)) < 0.08)
    c_pick = calls["handled"] & (calls["customer"] >= 0) & (rng.random(len(calls["ended"])) < 0.08)
    ti, ci = np.flatnonzero(t_pick), np.flatnonzero(c_pick)
    at = np.concatenate([t_end[ti], calls["ended"][ci]])
    at = at + rng.integers(cal.HOUR, 2 * cal.DAY, len(at))
    keep = np.flatnonzero(at < ctx.as_of)
    order = keep[np.argsort(at[keep], kind="stable")]
    bad = np.concatenate([tk["bad"][ti], calls["bad"][ci]])[order]
    customer = np.concatenate([tk["customer"][ti], calls["customer"][ci]])[order]
    n = len(order)
    score = np.where(bad, rng.choice([1, 2, 3, 4], n, p=[0.2, 0.3, 0.3, 0.2]),
                     rng.choice([4, 5, 6, 7], n, p=[0.08, 0.22, 0.35, 0.35]))
    take = pa.array(order)
    return build("surveys/ces_responses", {
        "response_id": format_ids("ces", counters.take("ces", n)),
        "customer_id": format_ids("customer", customer),
        "ticket_id": pa.concat_arrays([ticket_ids.take(pa.array(ti)), null_strings(len(ci))]).take(take),
        "call_id": pa.concat_arrays([null_strings(len(ti)), call_ids.take(pa.array(ci))]).take(take),
        "responded_at": at[order],
        "score": score,
        "_loaded_at": cal.load_time(at[order], SURVEYS),
    })


def nps(ctx: MarketContext, rng: np.random.Generator, counters: Counters, orders: Orders) -> pa.Table:
    """NPS survey a few weeks after a purchase; about 3 % of active customers a month answer."""
    pick = (orders.number >= 0) & (orders.customer >= 0) & (rng.random(len(orders.ordered)) < 0.05)
    at = orders.ordered[pick] + rng.integers(10 * cal.DAY, 30 * cal.DAY, int(pick.sum()))
    keep = at < ctx.as_of
    at, customer = at[keep], orders.customer[pick][keep]
    order = np.argsort(at, kind="stable")
    at, customer = at[order], customer[order]
    n = len(at)
    shift = ctx.effect("nps_shift", at)
    promoter = np.clip(0.5 + shift, 0.02, 0.95)
    detractor = np.clip(0.17 - shift, 0.02, 0.95)
    u = rng.random(n)
    score = np.where(u < promoter, rng.choice([9, 10], n, p=[0.45, 0.55]),
                     np.where(u < promoter + detractor,
                              rng.choice(7, n, p=[0.05, 0.04, 0.06, 0.1, 0.15, 0.25, 0.35]),
                              rng.choice([7, 8], n)))
    return build("surveys/nps_responses", {
        "response_id": format_ids("nps", counters.take("nps", n)),
        "customer_id": format_ids("customer", customer),
        "market_code": pa.array([ctx.market.code] * n, pa.string()),
        "responded_at": at,
        "score": score,
        "_loaded_at": cal.load_time(at, SURVEYS),
    })
