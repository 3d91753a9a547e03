"""Generator configuration: command-line options, market parameters and scenarios."""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from cskpi.paths import project_dir

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
FORMATS = ("parquet", "csv")
CHANNELS = ("phone", "email", "chat", "web_form", "social")

# Default of every scenario effect; scenarios.toml documents them for users.
EFFECT_DEFAULTS: dict[str, float] = {
    "order_volume_multiplier": 1.0,
    "contact_rate_multiplier": 1.0,
    "pre_sales_share_multiplier": 1.0,
    "legitimacy_question_share": 0.1,
    "talk_seconds_multiplier": 1.0,
    "staffing_multiplier": 1.0,
    "first_reply_multiplier": 1.0,
    "escalation_probability": 0.06,
    "escalation_wait_hours": 8.0,
    "resolution_probability": 0.9,
    "repeat_contact_probability": 0.35,
    "csat_positive_probability": 0.93,
    "rating_response_rate": 0.2,
    "nps_shift": 0.0,
    "esat_shift": 0.0,
}


class ConfigError(ValueError):
    """An invalid option or configuration file; the message is shown to the user."""


@dataclass(frozen=True)
class GenerateConfig:
    out: Path
    start: date = date(2024, 1, 1)
    days: int = 365
    markets: tuple[str, ...] = ("RO", "PL", "HU", "CZ", "DE")
    scale: float = 1.0
    seed: int = 42
    format: str = "parquet"
    dirt: float = 0.003
    chunk_days: int = 31
    quiet: bool = False
    scenarios: Path | None = None

    @property
    def end(self) -> date:
        """First day after the generated period (exclusive)."""
        return self.start + timedelta(days=self.days)

    def validate(self, known_markets: tuple[str, ...]) -> None:
        unknown = [m for m in self.markets if m not in known_markets]
        if unknown:
            raise ConfigError(f"unknown market code(s) {', '.join(unknown)}; known: {', '.join(known_markets)}")
        if not self.markets:
            raise ConfigError("--markets must name at least one market")
        if len(set(self.markets)) != len(self.markets):
            raise ConfigError("--markets lists a market twice")
        if self.days < 1:
            raise ConfigError(f"--days must be at least 1, got {self.days}")
        if not self.scale > 0:
            raise ConfigError(f"--scale must be greater than 0, got {self.scale}")
        if not 0 <= self.dirt <= 0.5:
            raise ConfigError(f"--dirt must be between 0 and 0.5, got {self.dirt}")
        if self.chunk_days < 1:
            raise ConfigError(f"--chunk-days must be at least 1, got {self.chunk_days}")
        if self.format not in FORMATS:
            raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, got {self.format}")
        if self.seed < 0:
            raise ConfigError(f"--seed must not be negative, got {self.seed}")

    def arguments(self) -> dict[str, Any]:
        """The options as JSON-friendly values for the manifest."""
        return {
            "out": str(self.out),
            "start": self.start.isoformat(),
            "days": self.days,
            "end_exclusive": self.end.isoformat(),
            "markets": list(self.markets),
            "scale": self.scale,
            "seed": self.seed,
            "format": self.format,
            "dirt": self.dirt,
            "chunk_days": self.chunk_days,
            "scenarios": str(self.scenarios) if self.scenarios else "builtin",
        }


@dataclass(frozen=True)
class Market:
    code: str
    index: int  # position in seeds/markets.csv; keys the random streams of the market
    currency: str
    timezone: str
    language: str
    launched_on: date
    base_daily_orders: float
    avg_order_value: float
    amount_decimals: int
    annual_growth: float
    phone_prefix: str
    outsourced_share: float
    monthly_salary: float
    tool_cost_per_agent: float
    telephony_per_minute: float
    other_monthly: float
    channel_mix: tuple[float, ...]  # in CHANNELS order, sums to 1


def _read_toml(name: str) -> dict[str, Any]:
    return tomllib.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def load_markets() -> dict[str, Market]:
    """Markets of seeds/markets.csv merged with cskpi/data/markets.toml, in seed order."""
    params = _read_toml("markets.toml")
    defaults = params["defaults"]
    overrides = params.get("market", {})
    seed_file = project_dir() / "seeds" / "markets.csv"
    with seed_file.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    markets: dict[str, Market] = {}
    for index, row in enumerate(rows):
        code = row["market_code"]
        p = {**defaults, **overrides.get(code, {})}
        mix = p["channel_mix"]
        weights = np.array([float(mix.get(ch, 0.0)) for ch in CHANNELS])
        if weights.sum() <= 0:
            raise ConfigError(f"markets.toml: channel_mix of {code} is empty")
        markets[code] = Market(
            code=code,
            index=index,
            currency=row["currency"],
            timezone=row["timezone"],
            language=row["language"],
            launched_on=date.fromisoformat(row["launched_on"]),
            base_daily_orders=float(p["base_daily_orders"]),
            avg_order_value=float(p["avg_order_value"]),
            amount_decimals=int(p["amount_decimals"]),
            annual_growth=float(p["annual_growth"]),
            phone_prefix=str(p["phone_prefix"]),
            outsourced_share=float(p["outsourced_share"]),
            monthly_salary=float(p["monthly_salary"]),
            tool_cost_per_agent=float(p["tool_cost_per_agent"]),
            telephony_per_minute=float(p["telephony_per_minute"]),
            other_monthly=float(p["other_monthly"]),
            channel_mix=tuple(float(w) for w in weights / weights.sum()),
        )
    return markets


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    market: str
    start: date
    end: date | None
    effects: dict[str, float] = field(default_factory=dict)


def load_scenarios(path: Path | None) -> list[Scenario]:
    """Scenarios from ``path`` or the built-in cskpi/data/scenarios.toml."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path else _read_toml("scenarios.toml")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read scenarios file {path}: {exc}") from exc
    scenarios = []
    for i, entry in enumerate(data.get("scenario", [])):
        where = f"scenario #{i + 1} ({entry.get('name', '?')})"
        missing = [k for k in ("name", "market", "start") if k not in entry]
        if missing:
            raise ConfigError(f"{where}: missing {', '.join(missing)}")
        effects = entry.get("effects", {})
        unknown = sorted(set(effects) - set(EFFECT_DEFAULTS))
        if unknown:
            raise ConfigError(f"{where}: unknown effect(s) {', '.join(unknown)}")
        start, end = entry["start"], entry.get("end")
        if not isinstance(start, date) or (end is not None and not isinstance(end, date)):
            raise ConfigError(f"{where}: start and end must be TOML dates like 2024-03-01")
        scenarios.append(
            Scenario(
                name=str(entry["name"]),
                title=str(entry.get("title", entry["name"])),
                market=str(entry["market"]),
                start=start,
                end=end,
                effects={k: float(v) for k, v in effects.items()},
            )
        )
    return scenarios


def effects_by_day(market: str, scenarios: list[Scenario], first: date, ndays: int) -> dict[str, np.ndarray]:
    """Per-day value of every effect for ``market`` over ``ndays`` days from ``first``."""
    out = {k: np.full(ndays, v, dtype=np.float64) for k, v in EFFECT_DEFAULTS.items()}
    day0 = first.toordinal()
    for sc in scenarios:
        if sc.market != market:
            continue
        lo = max(sc.start.toordinal() - day0, 0)
        hi = ndays if sc.end is None else min(sc.end.toordinal() - day0 + 1, ndays)
        if lo >= hi:
            continue
        for key, value in sc.effects.items():
            if key.endswith("_multiplier"):
                out[key][lo:hi] *= value
            else:
                out[key][lo:hi] = value
    return out
