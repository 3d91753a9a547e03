"""The one dbt project of the code location (the repository root)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Mapping
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
# Environment that profiles.yml turns into relation names (database, schema): the manifest bakes
# them into every relation_name, so a manifest parsed for another warehouse names wrong tables.
_RELATION_ENV = ("CSKPI_TARGET", "CSKPI_DUCKDB_PATH", "CSKPI_PG_DATABASE", "CSKPI_PG_SCHEMA", "CSKPI_SPARK_SCHEMA")
_PARSE_ENV_FILE = "cskpi_parse_env.json"
# dagster-dbt gives every invocation its own folder under the target path, "<op>-<run id[:7]>-<7 hex>",
# each with the compiled project and its artefacts (tens of MB): only the last few are kept.
_INVOCATION_DIR = re.compile(r"^[A-Za-z0-9_]+-[0-9a-f]{7}-[0-9a-f]{7}$")
KEEP_INVOCATIONS_ENV = "CSKPI_KEEP_DBT_INVOCATIONS"
DEFAULT_KEEP_INVOCATIONS = 5


def parse_environment(manifest: Path, environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """What the manifest was parsed for: the relation environment, and the manifest's own
    mtime, so a manifest rewritten by a plain dbt command counts as unknown."""
    env = os.environ if environ is None else environ
    return {
        "env": {name: env.get(name) for name in _RELATION_ENV},
        "manifest_mtime_ns": manifest.stat().st_mtime_ns if manifest.exists() else None,
    }


def _parse_env_path(manifest: Path) -> Path:
    return manifest.with_name(_PARSE_ENV_FILE)


def manifest_is_stale(root: Path, manifest: Path) -> bool:
    """True when ``manifest`` is missing, was parsed for another warehouse (another run or
    test may share the target folder), or is older than any file dbt parses.

    ``prepare_if_dev`` only re-parses under ``dagster dev``; ``cskpi run`` and the
    tests import the code location directly, so they need the same guarantee.
    """
    if not manifest.exists():
        return True
    recorded = _parse_env_path(manifest)
    if not recorded.exists() or json.loads(recorded.read_text(encoding="utf-8")) != parse_environment(manifest):
        return True
    built = manifest.stat().st_mtime
    candidates = [root / name for name in _MANIFEST_FILES]
    for folder in _MANIFEST_INPUTS:
        base = root / folder
        if base.is_dir():
            candidates.extend(p for p in base.rglob("*") if p.is_file())
    return any(p.exists() and p.stat().st_mtime > built for p in candidates)


def dbt_executable() -> str:
    """dbt next to this interpreter (the venv need not be activated): ``cskpi-dbt``, which ends
    with the run that started it (orchestration/dbt_child.py), else plain dbt."""
    for name in ("cskpi-dbt", "dbt"):
        candidate = Path(sys.executable).with_name(name)
        if candidate.exists():
            return str(candidate)
    return shutil.which("dbt") or "dbt"


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
    _parse_env_path(project.manifest_path).write_text(
        json.dumps(parse_environment(project.manifest_path)), encoding="utf-8"
    )


def keep_invocations(environ: Mapping[str, str] | None = None) -> int:
    raw = (os.environ if environ is None else environ).get(KEEP_INVOCATIONS_ENV, "").strip()
    if not raw:
        return DEFAULT_KEEP_INVOCATIONS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{KEEP_INVOCATIONS_ENV}={raw!r} must be a positive integer")
    return int(raw)


def prune_invocations(target_root: Path, keep: int) -> list[Path]:
    """Remove all but the ``keep`` newest dagster-dbt invocation folders; returns the removed ones."""
    if not target_root.is_dir():
        return []
    found = [p for p in target_root.iterdir() if p.is_dir() and _INVOCATION_DIR.match(p.name)]
    found.sort(key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in found[keep:]:
        shutil.rmtree(old, ignore_errors=True)  # a folder another process is still writing may vanish under us
    return found[keep:]


def build_dbt_project() -> DbtProject:
    root = project_dir()
    # dbt's own DBT_TARGET_PATH: parallel test workers (tests/conftest.py) each keep their manifest.
    target_path = Path(os.environ.get("DBT_TARGET_PATH", "target"))
    project = DbtProject(project_dir=root, profiles_dir=root, target=dbt_target(), target_path=target_path)
    if using_dagster_dev() or manifest_is_stale(root, project.manifest_path):
        parse_manifest(project)
    return project


cskpi_dbt_project = build_dbt_project()
