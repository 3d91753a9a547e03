"""The Dagster definitions as JSON: asset keys and groups, asset checks, jobs, schedules, sensors
and resources, so that an accidental change shows in tests/test_dagster_definitions.py.

Usage:
    python scripts/dagster_definitions_snapshot.py            # print the snapshot
    python scripts/dagster_definitions_snapshot.py --write    # rewrite tests/dagster_definitions.snapshot.json

Regenerate (--write) after an intended change (a new model, test, schedule ...) and commit the
file with it; the diff shows what changed. Environment overrides of the schedules and the target
are ignored, so the snapshot is the same on every machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SNAPSHOT = REPO / "tests" / "dagster_definitions.snapshot.json"
# Settings read when the code location loads; the snapshot shows the defaults.
IGNORED_ENV = ("CSKPI_SCHEDULE_CRON", "CSKPI_FULL_REFRESH_CRON", "CSKPI_SCHEDULE_TIMEZONE", "CSKPI_TARGET")


def snapshot() -> dict[str, Any]:
    for name in IGNORED_ENV:
        os.environ.pop(name, None)
    os.environ.setdefault("CSKPI_PROJECT_DIR", str(REPO))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from orchestration.definitions import defs

        graph = defs.resolve_asset_graph()
        jobs = [j for j in defs.resolve_all_job_defs() if not j.name.startswith("__")]
        schedules = [defs.resolve_schedule_def(s.name) for s in defs.schedules or []]
        sensors = [defs.resolve_sensor_def(s.name) for s in defs.sensors or []]
    assets = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    checks = {}
    for key in graph.asset_check_keys:
        spec = graph.get_check_spec(key)
        checks[f"{key.asset_key.to_user_string()}:{key.name}"] = "blocking" if spec.blocking else "non-blocking"
    return {
        "assets": dict(sorted(assets.items())),
        "asset_checks": dict(sorted(checks.items())),
        "jobs": {j.name: {"tags": dict(sorted(j.tags.items()))} for j in sorted(jobs, key=lambda j: j.name)},
        "schedules": {
            s.name: {
                "job": s.job_name,
                "cron": s.cron_schedule,
                "timezone": s.execution_timezone,
                "default_status": s.default_status.value,
            }
            for s in sorted(schedules, key=lambda s: s.name)
        },
        "sensors": {
            s.name: {"default_status": s.default_status.value} for s in sorted(sensors, key=lambda s: s.name)
        },
        "resources": sorted(defs.resources or {}),
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"rewrite {SNAPSHOT.relative_to(REPO)}")
    args = parser.parse_args(argv)
    text = render(snapshot())
    if args.write:
        SNAPSHOT.write_text(text)
        print(f"wrote {SNAPSHOT.relative_to(REPO)}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
