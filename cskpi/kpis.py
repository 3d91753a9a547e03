"""The KPI catalogue for Python: ``vars.kpi_catalogue`` of dbt_project.yml, typed.

dbt reads the same block (macro ``kpi_catalog``), so a KPI is defined once for SQL,
the dashboard, the report and the generated docs (docs/kpis.md, the README table).
A KPI inherits ``scale`` and ``bounds`` from its unit unless it sets its own, exactly
as the macro resolves them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from cskpi.paths import project_dir

# Unit format of durations: humanised seconds (12s, 4.5 min, 2.0 h) instead of a format string.
DURATION_FORMAT = "duration"


@dataclass(frozen=True)
class Unit:
    code: str
    label: str
    scale: float
    bounds: tuple[float | None, float | None]
    format: str
    change_format: str


@dataclass(frozen=True)
class Kpi:
    code: str
    name: str
    formula: str
    unit: Unit
    scale: float
    numerator: str
    denominator: str
    channels: tuple[str, ...]
    grains: tuple[str, ...]
    higher_is_better: bool
    bounds: tuple[float | None, float | None]
    source: tuple[str, ...]
    # raw tables (system/table) the KPI counts, as groups of alternatives: null when every table
    # of some group is absent
    inputs: tuple[tuple[str, ...], ...] = ()
    # SQL predicate over the measures: when false the KPI's input is absent or unknown for the
    # row, so value and numerator are null (unknown is not zero); None: always measured.
    known_when: str | None = None
    # the KPI this one is another view of (business hours or SLA of a calendar KPI): the report
    # and the dashboard show it right after that one
    twin_of: str | None = None

    def null_without(self, present: set[str]) -> tuple[str, ...] | None:
        """The first input group none of whose tables is in ``present`` (the KPI is then null)."""
        for group in self.inputs:
            if not present.intersection(group):
                return group
        return None


@dataclass(frozen=True)
class Catalogue:
    units: dict[str, Unit]
    kpis: tuple[Kpi, ...]
    sources: dict[str, str]

    def kpi(self, code: str) -> Kpi:
        for kpi in self.kpis:
            if kpi.code == code:
                return kpi
        raise KeyError(f"KPI {code!r} is not in the catalogue (dbt_project.yml vars.kpi_catalogue)")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(k.code for k in self.kpis)

    def with_twins(self, codes: Sequence[str]) -> tuple[str, ...]:
        """``codes`` in their order, each followed by its twins (``twin_of``, catalogue order), so a
        calendar KPI and its business-hours and SLA views are read side by side."""
        listed = set(codes)
        twin_of = {k.code: k.twin_of for k in self.kpis}
        out: list[str] = []

        def add(code: str) -> None:
            if code in out:
                return
            out.append(code)
            for kpi in self.kpis:
                if kpi.twin_of == code:
                    add(kpi.code)

        for code in codes:
            if twin_of.get(code) not in listed:  # a twin of a listed KPI goes after it
                add(code)
        return tuple(out)


def _bounds(raw: list[float | None]) -> tuple[float | None, float | None]:
    low, high = raw
    return (None if low is None else float(low), None if high is None else float(high))


def parse(block: dict[str, Any]) -> Catalogue:
    """The catalogue of a ``kpi_catalogue`` mapping (as in dbt_project.yml)."""
    units = {
        code: Unit(
            code=code,
            label=u["label"],
            scale=float(u["scale"]),
            bounds=_bounds(u["bounds"]),
            format=u["format"],
            change_format=u["change_format"],
        )
        for code, u in block["units"].items()
    }
    kpis = []
    for k in block["kpis"]:
        unit = units[k["unit"]]
        kpis.append(
            Kpi(
                code=k["code"],
                name=k["name"],
                formula=k["formula"],
                unit=unit,
                scale=float(k.get("scale", unit.scale)),
                numerator=k["numerator"],
                denominator=k["denominator"],
                channels=tuple(block["channels"][k["channels"]]),
                grains=tuple(k["grains"]),
                higher_is_better=bool(k["higher_is_better"]),
                bounds=_bounds(k["bounds"]) if "bounds" in k else unit.bounds,
                source=tuple(k["source"]),
                inputs=tuple(tuple(group) for group in k.get("inputs", ())),
                known_when=k.get("known_when"),
                twin_of=k.get("twin_of"),
            )
        )
    return Catalogue(units=units, kpis=tuple(kpis), sources=dict(block["sources"]))


def load(project: Path | None = None) -> Catalogue:
    """The catalogue of ``<project>/dbt_project.yml`` (default: the dbt project dir)."""
    path = (project or project_dir()) / "dbt_project.yml"
    with path.open(encoding="utf-8") as handle:
        return parse(yaml.safe_load(handle)["vars"]["kpi_catalogue"])


@cache
def catalogue() -> Catalogue:
    """The project's catalogue, read once per process."""
    return load()

