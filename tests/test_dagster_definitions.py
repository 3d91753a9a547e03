"""The Dagster definitions (asset keys, asset checks, jobs, schedules, sensors, resources) equal
the committed snapshot, so an accidental change to the code location shows in review.

After an intended change: `python scripts/dagster_definitions_snapshot.py --write` and commit
tests/dagster_definitions.snapshot.json with it (README, "Dagster definitions snapshot").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SNAPSHOT = REPO / "tests" / "dagster_definitions.snapshot.json"


def _current() -> dict:
    # A fresh interpreter: the code location reads its settings when it is imported.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSKPI_SCHEDULE")}
    env.update({"CSKPI_PROJECT_DIR": str(REPO), "DBT_PROFILES_DIR": str(REPO)})
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "dagster_definitions_snapshot.py")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _diff(before: dict, after: dict) -> list[str]:
    lines = []
    for section in sorted(set(before) | set(after)):
        old, new = before.get(section, {}), after.get(section, {})
        if isinstance(old, list) or isinstance(new, list):
            old, new = dict.fromkeys(old or [], ""), dict.fromkeys(new or [], "")
        for name in sorted(set(old) | set(new)):
            if name not in new:
                lines.append(f"{section}: removed {name}")
            elif name not in old:
                lines.append(f"{section}: added {name}")
            elif old[name] != new[name]:
                lines.append(f"{section}: {name} {old[name]!r} -> {new[name]!r}")
    return lines


def test_definitions_match_the_committed_snapshot():
    committed = json.loads(SNAPSHOT.read_text())
    current = _current()
    changes = _diff(committed, current)
    assert not changes, (
        f"{len(changes)} changes to the Dagster definitions; if intended, run "
        "`python scripts/dagster_definitions_snapshot.py --write` and commit the snapshot:\n" + "\n".join(changes[:50])
    )
    # The snapshot holds what the nightly run is made of, not an empty shell.
    assert {"cskpi_nightly", "cskpi_publish"} <= set(current["jobs"])
    assert "kpi_metrics:daily_contacts_no_sudden_jumps" in current["asset_checks"]
    assert current["assets"]["serving_database"] == "serving"


def test_snapshot_diff_names_what_changed():
    before = {"assets": {"a": "staging", "b": "marts"}, "resources": ["dbt"]}
    after = {"assets": {"a": "marts", "c": "kpi"}, "resources": ["dbt", "alerts"]}
    assert _diff(before, after) == [
        "assets: a 'staging' -> 'marts'",
        "assets: removed b",
        "assets: added c",
        "resources: added alerts",
    ]
