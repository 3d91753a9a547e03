"""Public holidays per market from the PyPI package ``holidays`` (offline, 500+ countries).

A market code is its ISO 3166-1 alpha-2 country code, so the package's country calendar is the
market's default holiday calendar. The shipped seed ``seeds/public_holidays.csv`` covers the
shipped markets for ``SEED_YEARS`` (scripts/gen_public_holidays.py); ``reference/holidays``
rows add days or, with ``is_closed = false``, reopen one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import holidays

SEED_YEARS = range(2015, 2031)


@dataclass(frozen=True, order=True)
class PublicHoliday:
    market_code: str
    holiday_date: date
    name: str


def public_holidays(market_code: str, years: Iterable[int]) -> list[PublicHoliday]:
    """The public holidays of the market's country in ``years``, by date.

    Raises LookupError naming the code when the package has no calendar for the country.
    """
    code = market_code.upper()
    try:
        calendar = holidays.country_holidays(code, years=list(years))
    except NotImplementedError as exc:
        raise LookupError(
            f"no public-holiday calendar for country {code!r} in the holidays package; "
            f"land its days in reference/holidays instead"
        ) from exc
    return sorted(PublicHoliday(code, day, name) for day, name in calendar.items())
