"""Per-market, per-day lookups shared by all generator modules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cskpi.generator import calendar as cal
from cskpi.generator.config import GenerateConfig, Market, Scenario, effects_by_day

PAD_BEFORE = 60  # days before --start (warm-up orders whose contacts fall in the period)
PAD_AFTER = 120  # days after the end (contacts and lifecycles that run past it)


@dataclass
class MarketContext:
    market: Market
    config: GenerateConfig
    first_day: int  # epoch day of index 0 of every per-day array
    start_day: int  # epoch day of --start
    end_day: int  # epoch day after the period (exclusive)
    offsets: np.ndarray  # UTC offset seconds per day
    season: np.ndarray
    effects: dict[str, np.ndarray]
    expected_orders: np.ndarray  # mean orders per day, all effects included

    @property
    def as_of(self) -> int:
        """Instant the data set is cut at: nothing after it has happened yet."""
        return self.end_day * cal.DAY

    @property
    def launch_day(self) -> int:
        return cal.epoch_day(self.market.launched_on)

    def idx(self, days: np.ndarray) -> np.ndarray:
        """Index into the per-day arrays for epoch days (clipped to the padded period)."""
        return np.clip(np.asarray(days) - self.first_day, 0, len(self.season) - 1)

    def effect(self, name: str, t: np.ndarray) -> np.ndarray:
        """Value of an effect at UTC instants ``t`` (by local day)."""
        local_day, _ = cal.utc_to_local(np.asarray(t), self.offsets, self.first_day)
        return self.effects[name][self.idx(local_day)]


def build_context(config: GenerateConfig, market: Market, scenarios: list[Scenario]) -> MarketContext:
    start_day = cal.epoch_day(config.start)
    first_day = start_day - PAD_BEFORE
    ndays = PAD_BEFORE + config.days + PAD_AFTER
    days = np.arange(first_day, first_day + ndays)
    season = cal.season_factors(first_day, ndays)
    effects = effects_by_day(market.code, scenarios, cal.from_epoch_day(first_day), ndays)
    years = (days - cal.epoch_day(cal.GROWTH_REFERENCE)) / 365.0
    expected = (
        market.base_daily_orders
        * config.scale
        * cal.ramp(days - cal.epoch_day(market.launched_on))
        * (1.0 + market.annual_growth) ** years
        * season
        * cal.ORDER_WEEKDAY[cal.weekday(days)]
        * effects["order_volume_multiplier"]
    )
    return MarketContext(
        market=market,
        config=config,
        first_day=first_day,
        start_day=start_day,
        end_day=start_day + config.days,
        offsets=cal.utc_offsets(market.timezone, first_day, ndays),
        season=season,
        effects=effects,
        expected_orders=expected,
    )
