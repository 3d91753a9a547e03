"""Write seeds/public_holidays.csv: the public holidays of the shipped markets (seeds/markets.csv).

The file is committed so every adapter (DuckDB, PostgreSQL, Spark) loads the same days as a
plain dbt seed; users add or remove days through ``reference/holidays``.

Usage: python scripts/gen_public_holidays.py [--check]
With --check nothing is written; exit 1 when the committed file differs from what the installed
holidays package gives (after upgrading it, rerun without --check).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from cskpi.reference.public_holidays import SEED_YEARS, public_holidays

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "public_holidays.csv"
MARKETS = ROOT / "seeds" / "markets.csv"


def render() -> str:
    with MARKETS.open(newline="") as f:
        markets = sorted(row["market_code"] for row in csv.DictReader(f))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["market_code", "holiday_date", "name", "is_closed"])
    for market in markets:
        for h in public_holidays(market, SEED_YEARS):
            writer.writerow([h.market_code, h.holiday_date.isoformat(), h.name, "true"])
    return out.getvalue()


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not SEED.exists() or SEED.read_text() != text:
            print(f"out of date (run python scripts/gen_public_holidays.py): {SEED.relative_to(ROOT)}")
            return 1
        return 0
    SEED.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
