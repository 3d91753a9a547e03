"""Dependencies point one way: the import-linter contracts of pyproject.toml hold, and a
planted violation breaks them (so `make lint` would fail)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    if not LINT_IMPORTS.exists():
        pytest.fail("lint-imports is missing: pip install -e '.[dev]' (import-linter)")
    # --no-cache: the copy below must not reuse the repository's import graph.
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contracts_hold():
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "3 kept, 0 broken" in result.stdout


def test_a_planted_import_of_the_dashboard_in_the_library_breaks_the_contract(tmp_path):
    # The report and the dashboard share cskpi/formatting.py; the library must never reach back.
    for name in ("cskpi", "orchestration", "dashboard"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "cskpi" / "planted.py").write_text("def f() -> None:\n    from dashboard import data  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "cskpi.planted -> dashboard.data" in result.stdout
    assert "The library (cskpi) does not import the dashboard BROKEN" in result.stdout


@pytest.mark.parametrize("package", ["cskpi", "dashboard"])
def test_a_planted_import_of_the_orchestration_breaks_the_contract(tmp_path, package):
    for name in ("cskpi", "orchestration", "dashboard"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    # Hidden in a function, as the library once did: import-linter sees it all the same.
    (tmp_path / package / "planted.py").write_text("def f() -> None:\n    from orchestration import jobs  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert f"{package}.planted -> orchestration.jobs" in result.stdout
    assert "BROKEN" in result.stdout
