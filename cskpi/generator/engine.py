"""Runs the generation: chunk by chunk (days) and market by market, streaming to disk."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from cskpi import contract
from cskpi.generator import calendar as cal
from cskpi.generator import dirt
from cskpi.generator.calls import build_grid, simulate_calls
from cskpi.generator.config import GenerateConfig, load_markets, load_scenarios
from cskpi.generator.contacts import PHONE, Contacts, demand, repeats
from cskpi.generator.context import MarketContext, build_context
from cskpi.generator.export import calls_table, events_table, tickets_table
from cskpi.generator.feedback import ces, nps, ratings
from cskpi.generator.ids import Counters, format_ids
from cskpi.generator.orders import CustomerPool, generate_orders, history_customers
from cskpi.generator.tickets import simulate_tickets
from cskpi.generator.workforce import Roster, build_roster, employee_surveys, operating_costs
from cskpi.generator.writer import RawWriter

MAX_REPEAT_ROUNDS = 6
POOL_SAMPLE = 4096  # known customers drawn per chunk for contacts without an order
CLEAN, DIRT = 0, 1  # random streams per market and chunk


@dataclass
class MarketState:
    """What one market carries from chunk to chunk: kept small on purpose."""

    ctx: MarketContext
    roster: Roster
    pool: CustomerPool = field(default_factory=CustomerPool)
    pending: Contacts = field(default_factory=Contacts.empty)  # contacts due in later chunks
    call_minutes: dict[int, float] = field(default_factory=dict)  # by local month (epoch day)


def _rng(config: GenerateConfig, market_index: int, chunk: int, stream: int) -> np.random.Generator:
    # One independent stream per (market, chunk, clean/dirt): dirt never shifts the clean data.
    # Chunk -1 is the setup (agents, history), -2 the closing costs.
    return np.random.default_rng(np.random.SeedSequence([config.seed, market_index, chunk + 2, stream]))


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _sorted(d: dict[str, np.ndarray], key: str) -> dict[str, np.ndarray]:
    order = np.argsort(d[key], kind="stable")
    return {k: v[order] for k, v in d.items()}


class Run:
    def __init__(self, config: GenerateConfig) -> None:
        markets = load_markets()
        config.validate(tuple(markets))
        self.config = config
        self.scenarios = load_scenarios(config.scenarios)
        self.markets = [markets[m] for m in config.markets]
        self.counters = Counters()
        self.writer = RawWriter(config.out, config.format)
        self.dirt_counts = {t.path: dict.fromkeys(dirt.applicable(t.path), 0) for t in contract.TABLES}
        self.clean_rows = {t.path: 0 for t in contract.TABLES}

    def emit(self, path: str, part: int, table: pa.Table, drng: np.random.Generator) -> None:
        self.clean_rows[path] += table.num_rows
        if self.config.dirt > 0:
            extra, counts = dirt.add_dirt(path, table, self.config.dirt, drng, self.counters)
            for cls, k in counts.items():
                self.dirt_counts[path][cls] += k
            if extra.num_rows:  # one row group per chunk: dirty rows follow the clean ones
                table = pa.concat_tables([table, extra]).combine_chunks()
        self.writer.write(path, part, table)

    def execute(self) -> dict:
        cfg = self.config
        start = cal.epoch_day(cfg.start)
        chunks = [(lo, min(lo + cfg.chunk_days, start + cfg.days)) for lo in range(start, start + cfg.days,
                                                                                   cfg.chunk_days)]
        states = {}
        for m in self.markets:
            ctx = build_context(cfg, m, self.scenarios)
            rng, drng = _rng(cfg, m.index, -1, CLEAN), _rng(cfg, m.index, -1, DIRT)
            roster, agents = build_roster(ctx, self.counters, rng)
            states[m.code] = MarketState(ctx, roster)
            self.emit("workforce/agents", 0, agents, drng)
            self.emit("workforce/employee_surveys", 0, employee_surveys(ctx, roster, self.counters, rng), drng)
            history = history_customers(ctx, states[m.code].pool, self.counters, rng)
            if history is not None:
                self.emit("shop/customers", 0, history, drng)
        progress = tqdm(total=len(chunks) * len(self.markets), unit="chunk", desc="generate", file=sys.stderr,
                        disable=cfg.quiet or not sys.stderr.isatty())
        for part, (lo, hi) in enumerate(chunks):
            for m in self.markets:
                self._chunk(states[m.code], part, lo, hi)
                progress.update(1)
        progress.close()
        for m in self.markets:
            st = states[m.code]
            costs = operating_costs(st.ctx, st.roster, st.call_minutes)
            self.emit("finance/operating_costs", 0, costs, _rng(cfg, m.index, -2, DIRT))
        self.writer.close()
        manifest = self.manifest()
        (cfg.out / "_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return manifest

    def _chunk(self, st: MarketState, part: int, lo: int, hi: int) -> None:
        ctx = st.ctx
        rng, drng = _rng(self.config, ctx.market.index, part, CLEAN), _rng(self.config, ctx.market.index, part, DIRT)
        orders, tables = generate_orders(ctx, st.pool, self.counters, rng, lo, hi, warmup=part == 0)
        for table in tables:
            self.emit(f"shop/{'orders' if 'order_id' in table.column_names else 'customers'}", part, table, drng)
        new = demand(ctx, rng, orders, st.pool.sample(rng, POOL_SAMPLE), lo, hi)
        every = Contacts.concat([st.pending, new])
        every = every.take(np.flatnonzero((every.t >= ctx.start_day * cal.DAY) & (every.t < ctx.as_of)))
        due = every.t < hi * cal.DAY
        batch, st.pending = every.take(np.flatnonzero(due)), every.take(np.flatnonzero(~due))
        grid = build_grid(ctx, batch.t[batch.channel == PHONE], lo, hi)
        call_parts, ticket_parts = [], []
        for _ in range(MAX_REPEAT_ROUNDS):
            if not len(batch):
                break
            phone = batch.channel == PHONE
            by_phone, by_ticket = batch.take(np.flatnonzero(phone)), batch.take(np.flatnonzero(~phone))
            calls, c_end, c_bad = simulate_calls(ctx, rng, by_phone, grid, st.roster)
            tks, t_end, t_bad = simulate_tickets(ctx, rng, by_ticket, st.roster)
            call_parts.append(calls)
            ticket_parts.append(tks)
            again = repeats(ctx, rng, Contacts.concat([by_phone, by_ticket]), np.concatenate([c_end, t_end]),
                            np.concatenate([c_bad, t_bad]))
            again = again.take(np.flatnonzero(again.t < ctx.as_of))
            due = again.t < hi * cal.DAY
            batch = again.take(np.flatnonzero(due))
            st.pending = Contacts.concat([st.pending, again.take(np.flatnonzero(~due))])
        if not call_parts:
            self._feedback(ctx, part, rng, drng, orders, None, None)
            return
        calls = _sorted(_concat(call_parts), "started")
        tks = _sorted(_concat(ticket_parts), "created")
        call_ids = format_ids("call", self.counters.take("call", len(calls["started"])))
        ticket_ids = format_ids("ticket", self.counters.take("ticket", len(tks["created"])))
        self.emit("telephony/calls", part, calls_table(ctx, rng, call_ids, calls), drng)
        self.emit("helpdesk/tickets", part, tickets_table(ctx, rng, ticket_ids, tks), drng)
        self.emit("helpdesk/ticket_events", part, events_table(self.counters, ticket_ids, tks), drng)
        self._feedback(ctx, part, rng, drng, orders, (call_ids, calls), (ticket_ids, tks))
        self._count_minutes(st, calls)

    def _feedback(self, ctx: MarketContext, part: int, rng: np.random.Generator, drng: np.random.Generator,
                  orders: object, calls: tuple | None, tickets: tuple | None) -> None:
        if calls is not None and tickets is not None:
            call_ids, k = calls
            ticket_ids, t = tickets
            self.emit("helpdesk/satisfaction_ratings", part,
                      ratings(ctx, rng, self.counters, ticket_ids, t, call_ids, k), drng)
            self.emit("surveys/ces_responses", part, ces(ctx, rng, self.counters, ticket_ids, t, call_ids, k), drng)
        self.emit("surveys/nps_responses", part, nps(ctx, rng, self.counters, orders), drng)  # type: ignore[arg-type]

    @staticmethod
    def _count_minutes(st: MarketState, calls: dict[str, np.ndarray]) -> None:
        day, _ = cal.utc_to_local(calls["started"], st.ctx.offsets, st.ctx.first_day)
        month = day.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        minutes = (calls["ended"] - calls["started"]) / 60.0
        for mday in np.unique(month):
            st.call_minutes[int(mday)] = st.call_minutes.get(int(mday), 0.0) + float(minutes[month == mday].sum())

    def manifest(self) -> dict:
        tables = {}
        for t in contract.TABLES:
            counts = self.dirt_counts[t.path]
            tables[t.path] = {
                "rows": self.writer.rows[t.path],
                "clean_rows": self.clean_rows[t.path],
                "dirt_rows": sum(counts.values()),
                "dirt": counts,
                "files": self.writer.files[t.path],
            }
        return {
            "generator": "cskpi generate",
            "format_version": 1,
            "arguments": self.config.arguments(),
            "scenarios": [s.name for s in self.scenarios if s.market in self.config.markets],
            "total_rows": sum(v["rows"] for v in tables.values()),
            "tables": tables,
        }


def generate(config: GenerateConfig) -> dict:
    """Generate the raw data set described by ``config``; returns the manifest."""
    return Run(config).execute()
