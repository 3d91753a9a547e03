"""The KPI catalogue: it loads, every KPI has what it needs, and dbt and Python read the same one."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

from cskpi import kpis

ROOT = Path(__file__).resolve().parent.parent
DBT = str(ROOT / ".venv" / "bin" / "dbt")
GRAINS = {"day", "week", "month"}
MEASURES_YML = ROOT / "models" / "intermediate" / "kpi" / "_int_kpi__models.yml"
KPI_MARTS_YML = ROOT / "models" / "marts" / "kpi" / "_kpi__models.yml"


@pytest.fixture(scope="module")
def catalogue() -> kpis.Catalogue:
    return kpis.load(ROOT)


def _measure_columns() -> set[str]:
    models = yaml.safe_load(MEASURES_YML.read_text(encoding="utf-8"))["models"]
    (measures,) = [m for m in models if m["name"] == "int_kpi__period_measures"]
    return {c["name"] for c in measures["columns"]}


def _kpi_metrics_channels() -> set[str]:
    models = yaml.safe_load(KPI_MARTS_YML.read_text(encoding="utf-8"))["models"]
    (metrics,) = [m for m in models if m["name"] == "kpi_metrics"]
    (channel,) = [c for c in metrics["columns"] if c["name"] == "channel"]
    tests = [t for t in channel["data_tests"] if isinstance(t, dict)]
    (accepted,) = [t["accepted_values"] for t in tests if "accepted_values" in t]
    return set(accepted["arguments"]["values"])


def test_catalogue_loads_every_kpi_once(catalogue):
    assert len(catalogue.kpis) == 28
    assert len(set(catalogue.codes)) == len(catalogue.codes)
    assert catalogue.kpi("nps").scale == 100
    with pytest.raises(KeyError, match="not in the catalogue"):
        catalogue.kpi("no_such_kpi")


def test_every_kpi_has_what_it_needs(catalogue):
    measures = _measure_columns()
    every_channel = _kpi_metrics_channels()
    for k in catalogue.kpis:
        assert re.fullmatch(r"[a-z_]+", k.code), k.code
        assert k.name and k.formula, k.code
        assert k.unit is catalogue.units[k.unit.code], k.code
        assert k.scale > 0, k.code
        assert k.channels and "all" in k.channels and set(k.channels) <= every_channel, k.code
        assert k.grains and set(k.grains) <= GRAINS, k.code
        low, high = k.bounds
        assert low is None or high is None or low < high, k.code
        assert k.source and all(s in catalogue.sources for s in k.source), k.code
        # numerator and denominator are expressions over the measure columns only
        for expression in (k.numerator, k.denominator):
            names = set(re.findall(r"[a-z_][a-z0-9_]*", expression))
            assert names and names <= measures, f"{k.code}: {names - measures} are not measures"


def test_a_kpi_inherits_its_units_scale_and_bounds_unless_it_sets_them():
    block = yaml.safe_load((ROOT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]["kpi_catalogue"]
    cat = kpis.parse(block)
    for raw, k in zip(block["kpis"], cat.kpis, strict=True):
        assert k.scale == float(raw.get("scale", block["units"][raw["unit"]]["scale"]))
        assert k.bounds == (tuple(raw["bounds"]) if "bounds" in raw else k.unit.bounds)
    assert cat.kpi("csat").bounds == (0.0, 100.0)
    assert cat.kpi("ces").bounds == (1.0, 7.0)


def _dbt_compile(tmp: Path, *args: str) -> str:
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(ROOT),
        "CSKPI_PROJECT_DIR": str(ROOT),
        "CSKPI_TARGET": "duckdb",
        "CSKPI_DUCKDB_PATH": str(tmp / "compile.duckdb"),
    }
    command = [DBT, "compile", "--quiet", "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")]
    result = subprocess.run([*command, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def dbt_side(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], list[tuple]]:
    """What dbt sees: the macro kpi_catalog() resolved, and the rows of the kpi_definitions model."""
    tmp = tmp_path_factory.mktemp("kpis")
    resolved = json.loads(
        json.loads(_dbt_compile(tmp, "--output", "json", "--inline", "{{ tojson(kpi_catalog()) }}"))["compiled"]
    )
    _dbt_compile(tmp, "--select", "kpi_definitions")
    sql = (tmp / "target" / "compiled" / "cskpi" / "models" / "marts" / "kpi" / "kpi_definitions.sql").read_text()
    with duckdb.connect() as con:
        rows = con.execute(f"select * from ({sql}) order by kpi_code").fetchall()
    return resolved, rows


def test_dbt_resolves_the_same_catalogue_as_python(catalogue, dbt_side):
    resolved, _ = dbt_side
    python = [
        {
            "code": k.code,
            "name": k.name,
            "formula": k.formula,
            "unit": k.unit.code,
            "scale": k.scale,
            "numerator": k.numerator,
            "denominator": k.denominator,
            "channels": list(k.channels),
            "grains": list(k.grains),
            "higher_is_better": k.higher_is_better,
            "bounds": [None if b is None else float(b) for b in k.bounds],
            "source": list(k.source),
            "known_when": k.known_when,
        }
        for k in catalogue.kpis
    ]
    for d in resolved:
        d["scale"] = float(d["scale"])
        d["bounds"] = [None if b is None else float(b) for b in d["bounds"]]
    assert resolved == python


def test_kpi_definitions_model_is_the_catalogue(catalogue, dbt_side):
    _, rows = dbt_side
    expected = sorted(
        (k.code, k.name, k.formula, k.unit.code, k.higher_is_better, "|".join(k.source), "|".join(k.grains))
        for k in catalogue.kpis
    )
    assert rows == expected
