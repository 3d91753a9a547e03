"""Why and when customers get in touch: contacts derived from orders, plus repeats."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from cskpi import contract
from cskpi.generator import calendar as cal
from cskpi.generator.arrow import NULL_TIME
from cskpi.generator.context import MarketContext
from cskpi.generator.orders import Orders

CAT = {name: i for i, name in enumerate(contract.CATEGORIES)}
PHONE = 0  # channel code; 1.. are contract.TICKET_CHANNELS
PRE_SALES_PER_ORDER = 0.035
OTHER_PER_ORDER = 0.03
PRE_SALES_ANONYMOUS = 0.6
UNIDENTIFIED = 0.07  # known customers who call from another number or write as a guest
WEEKEND_TO_MONDAY = (0.45, 0.6)  # share of Saturday / Sunday contacts that wait until Monday


@dataclass
class Contacts:
    """Struct of arrays; one element per customer contact (a call or a ticket)."""

    t: np.ndarray
    category: np.ndarray
    channel: np.ndarray
    customer: np.ndarray  # -1 anonymous
    order: np.ndarray  # -1 none
    repeat: np.ndarray  # bool: caused by an earlier unsatisfying contact

    @classmethod
    def empty(cls) -> Contacts:
        e = np.empty(0, np.int64)
        return cls(e, e, e, e, e, np.empty(0, bool))

    def __len__(self) -> int:
        return len(self.t)

    def take(self, idx: np.ndarray) -> Contacts:
        return Contacts(*(getattr(self, f.name)[idx] for f in fields(self)))

    @staticmethod
    def concat(parts: list[Contacts]) -> Contacts:
        parts = [p for p in parts if len(p)]
        if not parts:
            return Contacts.empty()
        return Contacts(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Contacts)))


def _channels(ctx: MarketContext, rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(5, size=n, p=np.array(ctx.market.channel_mix))


def place_in_day(ctx: MarketContext, rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Move contacts to a realistic local time on their day; weekend ones often wait for Monday."""
    n = len(t)
    day, _ = cal.utc_to_local(t, ctx.offsets, ctx.first_day)
    secs = cal.sample_hours(rng, n, cal.CONTACT_HOURS)
    wd = cal.weekday(day)
    u = rng.random(n)
    shift = ((wd == 5) & (u < WEEKEND_TO_MONDAY[0])) | ((wd == 6) & (u < WEEKEND_TO_MONDAY[1]))
    day = np.where(shift, day + 7 - wd, day)
    secs = np.where(shift, cal.sample_hours(rng, n, cal.MONDAY_BACKLOG_HOURS), secs)
    return cal.local_to_utc(day, secs, ctx.offsets, ctx.first_day)


def demand(ctx: MarketContext, rng: np.random.Generator, orders: Orders, pool_sample: np.ndarray,
           day_lo: int, day_hi: int) -> Contacts:
    """Contacts caused by the orders of a chunk plus pre-sales and general questions on its days.

    ``pool_sample`` holds random known customers for contacts not tied to an order.
    """
    n = len(orders.ordered)
    rate = ctx.effect("contact_rate_multiplier", orders.ordered)
    shipped = orders.shipped != NULL_TIME
    is_cancelled = orders.cancelled != NULL_TIME
    is_returned = orders.returned != NULL_TIME
    # (category, probability per order, reference instant, min delay days, max delay days)
    rules = (
        ("order_status", np.where(is_cancelled, 0.25, 0.05), orders.ordered, 1, 5),
        ("delivery", np.where(shipped, 0.05, 0.0), orders.shipped, 1, 6),
        ("returns", np.where(is_returned, 0.45, 0.008), np.where(shipped, orders.delivered, orders.ordered), 2, 14),
        ("payment", np.full(n, 0.025), orders.ordered, 0, 1),
        ("product", np.where(shipped, 0.03, 0.0), orders.delivered, 0, 20),
        ("complaint", np.where(shipped, 0.02, 0.0), orders.delivered, 1, 10),
    )
    parts = []
    for cat, prob, ref, lo, hi in rules:
        hit = (rng.random(n) < prob * rate) & (ref != NULL_TIME)
        k = int(hit.sum())
        t = ref[hit] + rng.integers(lo * cal.DAY, hi * cal.DAY + 1, size=k)
        parts.append(Contacts(t, np.full(k, CAT[cat]), _channels(ctx, rng, k), orders.customer[hit],
                              orders.number[hit], np.zeros(k, bool)))

    # Pre-sales and "other" questions follow the day's shopping volume, not single orders.
    days = np.arange(day_lo, day_hi)
    expected = ctx.expected_orders[ctx.idx(days)]
    for cat, per_order in (("pre_sales", PRE_SALES_PER_ORDER), ("other", OTHER_PER_ORDER)):
        mult = ctx.effects["pre_sales_share_multiplier"][ctx.idx(days)] if cat == "pre_sales" else 1.0
        counts = rng.poisson(expected * per_order * mult)
        day = np.repeat(days, counts)
        k = len(day)
        t = cal.local_to_utc(day, np.zeros(k, np.int64), ctx.offsets, ctx.first_day)
        customer = pool_sample[rng.integers(0, len(pool_sample), k)] if len(pool_sample) else np.full(k, -1)
        anon = rng.random(k) < (PRE_SALES_ANONYMOUS if cat == "pre_sales" else 0.2)
        parts.append(Contacts(t, np.full(k, CAT[cat]), _channels(ctx, rng, k), np.where(anon, -1, customer),
                              np.full(k, -1), np.zeros(k, bool)))
    c = Contacts.concat(parts)
    c.t = place_in_day(ctx, rng, c.t)
    c.customer = np.where(rng.random(len(c)) < UNIDENTIFIED, -1, c.customer)
    return c


def repeats(ctx: MarketContext, rng: np.random.Generator, c: Contacts, end: np.ndarray,
            bad: np.ndarray) -> Contacts:
    """Follow-up contacts: a bad experience makes the customer get in touch again within days."""
    p = 0.03 + np.where(bad, ctx.effect("repeat_contact_probability", c.t), 0.0)
    hit = rng.random(len(c)) < p
    r = c.take(np.flatnonzero(hit))
    k = len(r)
    r.t = end[hit] + (rng.exponential(1.3 * cal.DAY, size=k) + rng.integers(600, 4 * cal.HOUR, size=k)).astype(
        np.int64)
    day, secs = cal.utc_to_local(r.t, ctx.offsets, ctx.first_day)
    # Repeats at night are pushed to the next morning.
    evening = secs > 22 * cal.HOUR
    night = (secs < 7 * cal.HOUR) | evening
    secs = np.where(night, 7 * cal.HOUR + cal.sample_hours(rng, k, cal.MONDAY_BACKLOG_HOURS) // 3, secs)
    r.t = np.maximum(cal.local_to_utc(day + evening, secs, ctx.offsets, ctx.first_day), end[hit] + 60)
    r.channel = np.where(rng.random(k) < 0.55, r.channel, _channels(ctx, rng, k))
    r.repeat = np.ones(k, bool)
    return r
