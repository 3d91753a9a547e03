"""Customers and orders: the demand that drives every customer contact."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from cskpi import contract
from cskpi.generator import calendar as cal
from cskpi.generator import fake
from cskpi.generator.arrow import NULL_TIME, build, codes_to_strings
from cskpi.generator.context import MarketContext
from cskpi.generator.ids import Counters, format_ids

SHOP = 2  # system index for the load schedule
PLACED, SHIPPED, DELIVERED, CANCELLED, RETURNED = range(5)
CANCEL_RATE = 0.04
RETURN_RATE = 0.07
HISTORY_DAYS = 60  # customers registered before --start, in days of new-customer volume
WARMUP_DAYS = 30  # orders before --start whose contacts fall inside the period


@dataclass
class CustomerPool:
    """Customer numbers of one market (the only state that grows with the run)."""

    parts: list[np.ndarray] = field(default_factory=list)
    _cache: np.ndarray | None = None

    def add(self, numbers: np.ndarray) -> None:
        if len(numbers):
            self.parts.append(numbers)
            self._cache = None

    @property
    def numbers(self) -> np.ndarray:
        if self._cache is None:
            self._cache = np.concatenate(self.parts) if self.parts else np.empty(0, np.int64)
            self.parts = [self._cache] if len(self._cache) else []
        return self._cache

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Random known customers; -1 (anonymous) while the market has none."""
        pool = self.numbers
        if not len(pool):
            return np.full(n, -1, dtype=np.int64)
        return pool[rng.integers(0, len(pool), size=n)]


@dataclass
class Orders:
    number: np.ndarray  # -1 for warm-up orders that are not exported
    customer: np.ndarray
    ordered: np.ndarray
    shipped: np.ndarray  # NULL_TIME when it never happens
    delivered: np.ndarray
    returned: np.ndarray
    cancelled: np.ndarray


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


def history_customers(ctx: MarketContext, pool: CustomerPool, counters: Counters,
                      rng: np.random.Generator) -> pa.Table | None:
    """Customers registered before --start in markets launched earlier."""
    lo = max(ctx.launch_day, ctx.start_day - 3 * 365)
    if lo >= ctx.start_day:
        return None
    base = float(ctx.expected_orders[ctx.idx(np.arange(ctx.start_day, ctx.start_day + 30))].mean())
    n = int(rng.poisson(base * HISTORY_DAYS * min(1.0, (ctx.start_day - lo) / 365)))
    created = np.sort(rng.integers(lo * cal.DAY, ctx.start_day * cal.DAY, size=n))
    numbers = counters.take("customer", n)
    pool.add(numbers)
    return customers_table(ctx, numbers, created, created)


def customers_table(ctx: MarketContext, numbers: np.ndarray, created: np.ndarray,
                    loaded_from: np.ndarray) -> pa.Table:
    return build("shop/customers", {
        "customer_id": format_ids("customer", numbers),
        "market_code": pa.array([ctx.market.code] * len(numbers), pa.string()),
        "email": fake.customer_emails(numbers),
        "phone": fake.phone_numbers(ctx.market.phone_prefix, numbers),
        "created_at": created,
        "_loaded_at": cal.load_time(np.maximum(loaded_from, ctx.start_day * cal.DAY - cal.DAY), SHOP),
    })


def generate_orders(ctx: MarketContext, pool: CustomerPool, counters: Counters, rng: np.random.Generator,
                    day_lo: int, day_hi: int, warmup: bool) -> tuple[Orders, list[pa.Table]]:
    """Orders placed on local days [day_lo, day_hi) plus their lifecycle; returns exported tables."""
    lo = day_lo - WARMUP_DAYS if warmup else day_lo
    days = np.arange(lo, day_hi)
    counts = rng.poisson(ctx.expected_orders[ctx.idx(days)])
    local_day = np.repeat(days, counts)
    n = len(local_day)
    t = np.sort(cal.local_to_utc(local_day, cal.sample_hours(rng, n, cal.ORDER_HOURS), ctx.offsets,
                                 ctx.first_day))
    exported = (t >= ctx.start_day * cal.DAY) & (t < ctx.as_of)

    # New customers dominate right after a launch; later most orders come from returning ones.
    since_launch = t // cal.DAY - ctx.launch_day
    p_new = 0.35 + 0.5 * np.exp(-np.maximum(since_launch, 0) / 120.0)
    has_pool = len(pool.numbers) > 0
    is_new = exported & ((rng.random(n) < p_new) | (not has_pool))
    customer = pool.sample(rng, n)
    new_numbers = counters.take("customer", int(is_new.sum()))
    customer[is_new] = new_numbers
    new_created = t[is_new] - rng.integers(60, 1800, size=len(new_numbers))
    pool.add(new_numbers)

    cancelled = np.where(rng.random(n) < CANCEL_RATE, t + _lognormal(rng, 3 * cal.HOUR, 0.8, n).astype(np.int64),
                         NULL_TIME)
    ok = cancelled == NULL_TIME
    shipped = np.where(ok, t + _lognormal(rng, 22 * cal.HOUR, 0.5, n).astype(np.int64), NULL_TIME)
    delivered = np.where(ok, shipped + _lognormal(rng, 2 * cal.DAY, 0.4, n).astype(np.int64), NULL_TIME)
    returned = np.where(ok & (rng.random(n) < RETURN_RATE),
                        delivered + rng.integers(3 * cal.DAY, 21 * cal.DAY, size=n), NULL_TIME)
    number = np.full(n, -1, dtype=np.int64)
    number[exported] = counters.take("order", int(exported.sum()))
    orders = Orders(number, customer, t, shipped, delivered, returned, cancelled)

    tables = []
    if len(new_numbers):
        tables.append(customers_table(ctx, new_numbers, new_created, new_created))
    if exported.any():
        tables.append(orders_table(ctx, orders, exported, rng))
    return orders, tables


def order_state(ctx: MarketContext, o: Orders) -> tuple[np.ndarray, np.ndarray]:
    """(status code, updated_at) of every order as of the end of the period."""
    status = np.full(len(o.ordered), PLACED, dtype=np.int64)
    updated = o.ordered.copy()
    for code, when in ((CANCELLED, o.cancelled), (SHIPPED, o.shipped), (DELIVERED, o.delivered),
                       (RETURNED, o.returned)):
        hit = (when != NULL_TIME) & (when < ctx.as_of)
        status[hit] = code
        updated[hit] = when[hit]
    return status, updated


def orders_table(ctx: MarketContext, o: Orders, rows: np.ndarray, rng: np.random.Generator) -> pa.Table:
    status, updated = order_state(ctx, o)
    k = int(rows.sum())
    amount = np.round(ctx.market.avg_order_value * np.exp(0.7 * rng.standard_normal(k) - 0.245),
                      ctx.market.amount_decimals)
    return build("shop/orders", {
        "order_id": format_ids("order", o.number[rows]),
        "customer_id": format_ids("customer", o.customer[rows]),
        "market_code": pa.array([ctx.market.code] * k, pa.string()),
        "ordered_at": o.ordered[rows],
        "updated_at": updated[rows],
        "status": codes_to_strings(contract.ORDER_STATUSES, status[rows]),
        "currency": pa.array([ctx.market.currency] * k, pa.string()),
        "total_amount": np.maximum(amount, 1.0),
        "_loaded_at": cal.load_time(updated[rows], SHOP),
    })
