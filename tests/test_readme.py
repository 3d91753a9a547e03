"""The README's KPI table and docs/kpis.md agree with the KPI catalogue, and the README documents what exists."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

from cskpi import kpis

ROOT = Path(__file__).resolve().parent.parent


def _catalogue_module():
    spec = importlib.util.spec_from_file_location("kpi_catalogue", ROOT / "scripts" / "kpi_catalogue.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_kpi_catalogue_matches_the_catalogue():
    module = _catalogue_module()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    expected = module.render(kpis.load(ROOT))
    assert expected in readme, "README KPI catalogue is stale: run python scripts/kpi_catalogue.py"


def test_docs_kpis_matches_the_catalogue():
    module = _catalogue_module()
    docs = (ROOT / "docs" / "kpis.md").read_text(encoding="utf-8")
    cat = kpis.load(ROOT)
    expected = module.render_docs(cat)
    assert expected in docs, "docs/kpis.md is stale: run python scripts/kpi_catalogue.py"
    for k in cat.kpis:
        assert f"### `{k.code}`: {k.name}" in docs
        assert f"- Channels: {', '.join(k.channels)}" in expected


def test_nothing_cites_a_path_outside_the_repository():
    # A user's clone is the whole product: no file may send readers to a specification beside it.
    outside = ("../" + "shared", "SPEC" + " §")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    offenders = []
    for name in tracked:
        path = ROOT / name
        if path.suffix in {".png", ".parquet", ".duckdb", ".zip"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{name}: {needle}" for needle in outside if needle in text]
    assert not offenders, f"point these at docs/ instead: {offenders}"


def test_catalogue_lists_every_kpi_code_of_the_spec():
    spec_codes = {
        "service_level", "avg_response_time", "avg_speed_of_answer", "aht", "aht_agent", "avg_call_duration",
        "call_abandonment_rate", "first_contact_resolution", "repeat_contact_rate", "cost_per_interaction",
        "cost_per_resolution", "csat", "nps", "ces", "esat", "interactions_per_order", "first_response_time",
        "avg_resolution_time", "ticket_resolution_rate", "reopen_rate", "escalation_rate", "pre_sales_share",
        "churn_rate",
        # business hours and SLA policies
        "first_response_time_business", "avg_resolution_time_business", "sla_attainment_first_reply",
        "sla_attainment_resolution", "calls_outside_hours_share",
    }  # fmt: skip
    assert set(kpis.load(ROOT).codes) == spec_codes
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    module = _catalogue_module()
    block = readme.split(module.START, 1)[1].split(module.END, 1)[0]
    assert set(re.findall(r"^\| `([a-z_]+)` \|", block, flags=re.M)) == spec_codes


def test_readme_names_the_two_commands_and_existing_paths():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    for path in re.findall(r"`((?:models|seeds|cskpi|orchestration|dashboard|benchmarks|docs)/[\w./<>-]+)`", readme):
        if "<" in path or "*" in path:
            continue
        assert (ROOT / path).exists(), f"README mentions {path}, which does not exist"
