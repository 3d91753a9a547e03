"""Write or check the generated MetricFlow semantic layer (cskpi.semantic).

Usage: python scripts/semantic_layer.py --write | --check
--write rewrites models/semantic/_semantic__semantic_models.yml; --check exits 1 when it is stale
(the KPI catalogue in dbt_project.yml or the fact models changed since it was written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cskpi.semantic import GENERATED, render

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the generated file")
    mode.add_argument("--check", action="store_true", help="exit 1 when the generated file is stale")
    args = parser.parse_args(argv)
    path = ROOT / GENERATED
    text = render(project=ROOT)
    if args.write:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {GENERATED}")
        return 0
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        print(f"{GENERATED} is stale: run `python scripts/semantic_layer.py --write`", file=sys.stderr)
        return 1
    print(f"{GENERATED} is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
