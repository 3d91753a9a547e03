"""Time: local calendars, seasonality, daily profiles and the nightly load schedule.

All instants are int64 seconds since the Unix epoch (UTC); days are epoch days.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

DAY = 86_400
HOUR = 3_600
EPOCH = date(1970, 1, 1)
GROWTH_REFERENCE = date(2024, 1, 1)  # volumes in markets.toml are for this date

# Relative weight per local hour (0..23).
ORDER_HOURS = np.array(
    [0.6, 0.3, 0.2, 0.1, 0.1, 0.2, 0.5, 1.0, 1.8, 2.4, 2.8, 3.0,
     3.2, 3.2, 3.0, 3.0, 3.2, 3.6, 4.2, 4.8, 5.2, 4.8, 3.4, 1.6]
)
CONTACT_HOURS = np.array(
    [0.3, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4.5, 6.8, 7.0, 6.5,
     5.5, 5.6, 5.6, 5.2, 4.8, 4.2, 3.6, 3.0, 2.5, 2.0, 1.2, 0.6]
)
# Contacts held back over the weekend arrive on Monday morning.
MONDAY_BACKLOG_HOURS = np.array(
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 2.0, 9.0, 10.0, 8.0, 6.0,
     4.0, 3.5, 3.0, 2.5, 2.0, 1.5, 1.0, 0.6, 0.4, 0.2, 0.1, 0.0]
)
ORDER_WEEKDAY = np.array([1.05, 1.04, 1.0, 0.99, 0.95, 0.85, 1.12])  # Monday first
MONTH_FACTOR = np.array([0.9, 0.88, 0.95, 0.96, 0.97, 0.9, 0.87, 0.9, 1.0, 1.05, 1.2, 1.3])
# Phone opening hours per weekday (local): Mon-Fri 8-20, Sat 9-17, Sun closed.
OPEN_FROM = np.array([8, 8, 8, 8, 8, 9, 24])
OPEN_TO = np.array([20, 20, 20, 20, 20, 17, 0])


def epoch_day(d: date) -> int:
    return (d - EPOCH).days


def from_epoch_day(day: int) -> date:
    return EPOCH + timedelta(days=int(day))


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 for epoch days (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def utc_offsets(timezone: str, first_day: int, ndays: int) -> np.ndarray:
    """UTC offset in seconds at local noon of each day (DST switches at night are ignored)."""
    zone = ZoneInfo(timezone)
    out = np.empty(ndays, dtype=np.int64)
    for i in range(ndays):
        local_noon = datetime.combine(from_epoch_day(first_day + i), time(12), zone)
        offset = local_noon.utcoffset()
        out[i] = int(offset.total_seconds()) if offset is not None else 0
    return out


def season_factors(first_day: int, ndays: int) -> np.ndarray:
    """Yearly seasonality of shopping: summer lull, Black Friday week, Christmas peak."""
    out = np.empty(ndays, dtype=np.float64)
    for i in range(ndays):
        d = from_epoch_day(first_day + i)
        f = MONTH_FACTOR[d.month - 1]
        black_friday = _black_friday(d.year)
        delta = (d - black_friday).days
        if delta == 0:
            f *= 2.6
        elif 1 <= delta <= 3:  # weekend and Cyber Monday
            f *= 1.7
        elif -6 <= delta < 0:
            f *= 1.3
        if d.month == 12 and 24 <= d.day <= 26:
            f *= 0.4
        elif d.month == 12 and d.day >= 27:
            f *= 0.75
        elif d.month == 12 and 10 <= d.day <= 20:
            f *= 1.15
        out[i] = f
    return out


def _black_friday(year: int) -> date:
    nov1 = date(year, 11, 1)
    first_friday = nov1 + timedelta(days=(4 - nov1.weekday()) % 7)
    return first_friday + timedelta(weeks=3)


def ramp(days_since_launch: np.ndarray) -> np.ndarray:
    """Volume share of a new market: ramps up over its first months, zero before launch."""
    t = days_since_launch.astype(np.float64)
    return np.where(t < 0, 0.0, 1.0 - 0.85 * np.exp(-np.maximum(t, 0) / 70.0))


def local_to_utc(local_day: np.ndarray, local_seconds: np.ndarray, offsets: np.ndarray,
                 offset_first_day: int) -> np.ndarray:
    """UTC instants of local wall-clock times; ``offsets`` is indexed by epoch day."""
    idx = np.clip(local_day - offset_first_day, 0, len(offsets) - 1)
    return local_day * DAY + local_seconds - offsets[idx]


def utc_to_local(t: np.ndarray, offsets: np.ndarray, offset_first_day: int) -> tuple[np.ndarray, np.ndarray]:
    """(local epoch day, local seconds of day) of UTC instants."""
    approx_day = t // DAY
    idx = np.clip(approx_day - offset_first_day, 0, len(offsets) - 1)
    local = t + offsets[idx]
    return local // DAY, local % DAY


def sample_hours(rng: np.random.Generator, n: int, profile: np.ndarray) -> np.ndarray:
    """Seconds since local midnight, hour drawn from ``profile`` and uniform within it."""
    hours = rng.choice(24, size=n, p=profile / profile.sum())
    return hours * HOUR + rng.integers(0, HOUR, size=n)


def load_time(t: np.ndarray, system: int) -> np.ndarray:
    """The nightly load that picks up a row changed at ``t``: next night, 01:00-03:00 UTC.

    One load per system and night, so every row of that load shares its timestamp.
    """
    night = t // DAY + 1
    jitter = (night * 7919 + system * 104_729) % (2 * HOUR)
    return night * DAY + HOUR + jitter
