"""dbt exposures (models/exposures.yml) name exactly the relations each reader uses.

The expected sets are derived from the readers, not typed a second time: the serving
copy from the publish rule (cskpi.publish.is_published), the PostgreSQL analyst role from
the grants macro (rendered by dbt: macros/postgres/grants.sql analyst_readable_models),
the dashboard from the tables its SQL queries (dashboard/ and cskpi/serving.py) and the seed files it opens.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cskpi.publish import TABLES_TABLE, VERSION_TABLE, is_published

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "dashboard"
PROJECT = "cskpi"
RELATION_TYPES = ("model", "seed", "snapshot")


class Dbt:
    """dbt parsed once, in process, into a private target folder."""

    def __init__(self, tmp: Path) -> None:
        from dbt.cli.main import dbtRunner

        self.common = ["--project-dir", str(ROOT), "--target-path", str(tmp / "target"), "--log-path", str(tmp)]
        parsed = dbtRunner().invoke(["parse", *self.common, "--quiet"])
        assert parsed.success, parsed.exception
        self.runner = dbtRunner(manifest=parsed.result)
        self.manifest: dict[str, Any] = json.loads((tmp / "target" / "manifest.json").read_text())

    def render(self, jinja: str) -> str:
        result = self.runner.invoke(["compile", *self.common, "--quiet", "--inline", jinja])
        assert result.success, result.exception
        return result.result.results[0].node.compiled_code


@pytest.fixture(scope="module")
def dbt(tmp_path_factory) -> Iterator[Dbt]:
    tmp = tmp_path_factory.mktemp("exposures")
    with pytest.MonkeyPatch.context() as mp:
        # compile opens a connection: a scratch file, never the worktree's warehouse
        mp.setenv("CSKPI_DUCKDB_PATH", str(tmp / "scratch.duckdb"))
        mp.setenv("DBT_PROFILES_DIR", str(ROOT))
        yield Dbt(tmp)


def relations(manifest: dict[str, Any]) -> dict[str, str]:
    """Relation name (the table readers see) -> unique id, for this project's tables."""
    return {
        (node.get("alias") or node["name"]): uid
        for uid, node in manifest["nodes"].items()
        if node["package_name"] == PROJECT
        and node["resource_type"] in RELATION_TYPES
        and node["config"].get("materialized") != "ephemeral"
    }


def exposure(manifest: dict[str, Any], name: str) -> set[str]:
    key = f"exposure.{PROJECT}.{name}"
    assert key in manifest["exposures"], f"no exposure {name} in models/exposures.yml"
    return set(manifest["exposures"][key]["depends_on"]["nodes"])


def _base_tables(tree: Any, ctes: frozenset[str] = frozenset()) -> Iterator[str]:
    """Tables a parsed statement (json_serialize_sql) reads; CTE names are not tables."""
    if isinstance(tree, dict):
        ctes = ctes | {entry["key"] for entry in (tree.get("cte_map") or {}).get("map", [])}
        if tree.get("type") == "BASE_TABLE" and tree["table_name"] not in ctes:
            schema = tree.get("schema_name") or ""
            yield f"{schema}.{tree['table_name']}" if schema else tree["table_name"]
        for value in tree.values():
            yield from _base_tables(value, ctes)
    elif isinstance(tree, list):
        for value in tree:
            yield from _base_tables(value, ctes)


def dashboard_reads() -> tuple[set[str], set[str]]:
    """(tables the dashboard's SQL queries, file names it opens) from the string literals of dashboard/."""
    con = duckdb.connect()
    tables: set[str] = set()
    names: set[str] = set()
    # The dashboard's own SQL and that of the serving reader it queries through.
    for path in [*sorted(DASHBOARD.glob("*.py")), ROOT / "cskpi" / "serving.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            names.add(node.value)
            parsed = json.loads(con.execute("select json_serialize_sql(?)", [node.value]).fetchone()[0])
            if not parsed["error"]:
                tables |= set(_base_tables(parsed["statements"]))
    return tables, names


def test_serving_exposure_is_what_publish_copies(dbt):
    rels = relations(dbt.manifest)
    expected = {uid for name, uid in rels.items() if is_published(name)}
    assert "model.cskpi.kpi_metrics" in expected and "model.cskpi.fct_quarantined_rows" not in expected
    assert exposure(dbt.manifest, "serving_database") == expected


def test_postgres_analyst_exposure_is_what_the_grants_allow(dbt):
    rendered = dbt.render("{% for node in cskpi.analyst_readable_models() %}{{ node.unique_id }}\n{% endfor %}")
    granted = set(rendered.split())
    assert granted and all(uid.startswith("model.") for uid in granted)
    assert "model.cskpi.kpi_metrics" in granted and "model.cskpi.fct_quarantined_rows" not in granted
    assert exposure(dbt.manifest, "postgres_analyst_role") == granted


def test_dashboard_exposure_is_what_the_dashboard_queries(dbt):
    rels = relations(dbt.manifest)
    tables, strings = dashboard_reads()
    queried = {rels[t] for t in tables if t in rels}
    # Everything else it queries is the publish bookkeeping or the catalog, not a dbt relation.
    assert tables - set(rels) <= {VERSION_TABLE, TABLES_TABLE, "information_schema.tables"}, tables
    # Seed files it opens directly (the KPI catalogue: names, units).
    files = {
        uid
        for uid, node in dbt.manifest["nodes"].items()
        if node["resource_type"] == "seed" and Path(node["original_file_path"]).name in strings
    }
    assert "model.cskpi.kpi_metrics" in queried
    assert exposure(dbt.manifest, "kpi_dashboard") == queried | files
    # The dashboard reads the published copy, so it can only use what is published.
    assert queried <= exposure(dbt.manifest, "serving_database")


def test_exposures_appear_in_the_docs_lineage(dbt):
    """`dbt docs` draws an exposure downstream of each node it depends on (child_map)."""
    for key, exp in dbt.manifest["exposures"].items():
        assert exp["owner"].get("name") or exp["owner"].get("email"), key
        assert exp["description"].strip(), key
        for uid in exp["depends_on"]["nodes"]:
            assert key in dbt.manifest["child_map"][uid], (key, uid)
