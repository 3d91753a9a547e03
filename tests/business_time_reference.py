"""A plain-Python business clock (zoneinfo + the reference tables), the oracle of tests/test_business_time.py.

Deliberately naive: for every local day around a span it builds the day's opening intervals in
local time, converts each end to UTC with zoneinfo and adds up the overlap with the span.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Opening:
    channel: str
    iso_weekday: int
    opens_at: str
    closes_at: str
    valid_from: date


def _seconds(hhmm: str) -> int:
    return int(hhmm[:2]) * 3600 + int(hhmm[3:5]) * 60


class BusinessClock:
    def __init__(self, timezone: str, openings: Iterable[Opening], closed_days: Iterable[date]) -> None:
        self.zone = ZoneInfo(timezone)
        self.openings = list(openings)
        self.closed = set(closed_days)

    def _schedule(self, channel: str, day: date) -> list[Opening]:
        for scope in (channel, "all"):
            versions = [o.valid_from for o in self.openings if o.channel == scope and o.valid_from <= day]
            if versions:
                latest = max(versions)
                return [o for o in self.openings if o.channel == scope and o.valid_from == latest]
        return []

    def intervals(self, channel: str, first: date, last: date) -> list[tuple[datetime, datetime]]:
        """Opening intervals (UTC, naive) of the local days first - 1 .. last."""
        out = []
        day = first - timedelta(days=1)
        while day <= last:
            if day not in self.closed:
                for o in self._schedule(channel, day):
                    if o.iso_weekday != day.isoweekday():
                        continue
                    opens, closes = _seconds(o.opens_at), _seconds(o.closes_at)
                    if closes <= opens:
                        closes += 86400
                    midnight = datetime(day.year, day.month, day.day)
                    start = self._utc(midnight + timedelta(seconds=opens))
                    end = self._utc(midnight + timedelta(seconds=closes))
                    out.append((start, end))
            day += timedelta(days=1)
        return out

    def _utc(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.zone).astimezone(UTC).replace(tzinfo=None)

    def _local_date(self, utc: datetime) -> date:
        return utc.replace(tzinfo=UTC).astimezone(self.zone).date()

    def business_seconds(self, channel: str, start: datetime, end: datetime) -> int:
        total = 0
        for a, b in self.intervals(channel, self._local_date(start), self._local_date(end)):
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += int((hi - lo).total_seconds())
        return total

    def is_open(self, channel: str, at: datetime) -> bool:
        day = self._local_date(at)
        return any(a <= at < b for a, b in self.intervals(channel, day, day))
