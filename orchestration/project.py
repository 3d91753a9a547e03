"""The one dbt project of the code location (the repository root)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster._utils import run_with_concurrent_update_guard
from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

from cskpi.dbt_args import dbt_parse_args
from cskpi.paths import project_dir
from cskpi.targets import dbt_target

# Everything whose change can alter the manifest.
_MANIFEST_INPUTS = ("models", "macros", "seeds", "tests/dbt", "snapshots", "analyses")
_MANIFEST_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")


def manifest_is_stale(root: Path, manifest: Path) -> bool:
    """True when ``manifest`` is missing or older than any file dbt parses.

    ``prepare_if_dev`` only re-parses under ``dagster dev``; ``cskpi run`` and the
    tests import the code location directly, so they need the same guarantee.
    """
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    candidates = [root / name for name in _MANIFEST_FILES]
    for folder in _MANIFEST_INPUTS:
        base = root / folder
        if base.is_dir():
            candidates.extend(p for p in base.rglob("*") if p.is_file())
    return any(p.exists() and p.stat().st_mtime > built for p in candidates)


def dbt_executable() -> str:
    """The dbt next to this interpreter: the venv need not be activated (no dbt on PATH)."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else (shutil.which("dbt") or "dbt")


def parse_manifest(project: DbtProject) -> None:
    # Same concurrency guard dagster-dbt uses, so parallel imports do not clobber the file.
    run_with_concurrent_update_guard(
        project.manifest_path,
        lambda project: (
            DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
            .cli(dbt_parse_args(), target_path=project.target_path)
            .wait()
        ),
        project=project,
    )


def build_dbt_project() -> DbtProject:
    root = project_dir()
    project = DbtProject(project_dir=root, profiles_dir=root, target=dbt_target())
    if using_dagster_dev() or manifest_is_stale(root, project.manifest_path):
        parse_manifest(project)
    return project


cskpi_dbt_project = build_dbt_project()
