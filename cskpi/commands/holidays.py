"""``cskpi holidays``: the public holidays a market's country has in a year (PyPI package holidays).

``--csv`` prints them in the columns of ``reference/holidays`` so they can be landed as they are
(e.g. for a market added through reference data: ``cskpi holidays --market IL --year 2025 --csv
> data/raw/reference/holidays/il_2025.csv``).
"""

from __future__ import annotations

import argparse
import csv
import sys

from cskpi.reference.public_holidays import public_holidays


def _run(args: argparse.Namespace) -> int:
    days = public_holidays(args.market, args.year)
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["market_code", "holiday_date", "name", "is_closed"])
        for h in days:
            writer.writerow([h.market_code, h.holiday_date.isoformat(), h.name, "true"])
        return 0
    for h in days:
        print(f"{h.holiday_date.isoformat()}  {h.holiday_date:%a}  {h.name}")
    print(f"{len(days)} public holidays in {args.market.upper()} {', '.join(map(str, args.year))}", file=sys.stderr)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("holidays", help="print a market's public holidays (closed days of its business calendar)")
    p.add_argument("--market", required=True, help="market code (ISO 3166-1 alpha-2 country code), e.g. PL")
    p.add_argument("--year", required=True, type=int, action="append", help="year (repeat for several)")
    p.add_argument("--csv", action="store_true", help="print rows of reference/holidays (CSV with header)")
    p.set_defaults(func=_run)
