"""Per-table row counts and content checksums of a built DuckDB warehouse.

Usage:
    python scripts/mart_checksums.py WAREHOUSE.duckdb [--out FILE.json]
    python scripts/mart_checksums.py --compare BEFORE.json AFTER.json

Proves that a refactoring changed no user-visible row: every mart table (``dim_``,
``fct_``, ``kpi_``, ``dq_``) and the staging relations are checksummed. Doubles are
rounded to 9 significant digits first, because floating-point sums may differ in their
last bits between two multi-threaded runs on identical data.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

PREFIXES = ("dim_", "fct_", "kpi_", "dq_", "int_", "stg_", "qrt_", "base_")
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


def _expression(name: str, data_type: str) -> str:
    quoted = f'"{name}"'
    if data_type.upper() in FLOAT_TYPES:
        # 9 significant digits: immune to last-bit noise of parallel float sums.
        return f"case when {quoted} is null then null else printf('%.9g', {quoted}) end"
    if data_type.upper().startswith("DECIMAL"):
        return f"cast(cast({quoted} as double) as varchar)"
    return f"cast({quoted} as varchar)"


def checksums(path: Path) -> dict[str, dict[str, object]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema not like 'raw%' order by table_name"
        ).fetchall()
        result: dict[str, dict[str, object]] = {}
        for schema, name in tables:
            if not name.startswith(PREFIXES):
                continue
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by column_name",
                [schema, name],
            ).fetchall()
            row = " || '|' || ".join(f"coalesce({_expression(c, t)}, '<null>')" for c, t in columns)
            count, digest = con.execute(
                f'select count(*), md5(coalesce(string_agg(r, chr(10) order by r), \'\')) '
                f'from (select {row} as r from "{schema}"."{name}")'
            ).fetchone()  # type: ignore[misc]
            result[name] = {"rows": int(count), "columns": [c for c, _ in columns], "md5": digest}
        return result
    finally:
        con.close()


def compare(before: dict[str, dict[str, object]], after: dict[str, dict[str, object]]) -> list[str]:
    problems = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            problems.append(f"{name}: missing after")
        elif name not in before:
            problems.append(f"{name}: new table")
        elif before[name] != after[name]:
            b, a = before[name], after[name]
            what = "columns differ" if b["columns"] != a["columns"] else f"rows {b['rows']} -> {a['rows']}, content"
            problems.append(f"{name}: {what}")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("warehouse", nargs="?", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--only", default="", help="comma-separated prefixes to compare (default: all)")
    args = parser.parse_args(argv)
    if args.compare:
        before, after = (json.loads(p.read_text()) for p in args.compare)
        if args.only:
            keep = tuple(args.only.split(","))
            before = {k: v for k, v in before.items() if k.startswith(keep)}
            after = {k: v for k, v in after.items() if k.startswith(keep)}
        problems = compare(before, after)
        for line in problems:
            print(line)
        print(f"{len(before)} tables before, {len(after)} after, {len(problems)} differ")
        return 1 if problems else 0
    if args.warehouse is None:
        parser.error("a warehouse file or --compare is required")
    sums = checksums(args.warehouse)
    text = json.dumps(sums, indent=1, sort_keys=True)
    if args.out:
        args.out.write_text(text + "\n")
    else:
        print(text)
    print(f"{len(sums)} tables, {sum(int(v['rows']) for v in sums.values())} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
