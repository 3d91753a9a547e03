"""Progress lines of ``cskpi build`` (cskpi/dbtrun.py): done/total and elapsed for every node type.

The events are real dbt event objects wrapped the way dbtRunner hands them to callbacks.
"""

from __future__ import annotations

import io
import re

from dbt.events.types import (
    LogBatchResult,
    LogModelResult,
    LogNodeNoOpResult,
    LogSeedResult,
    LogSnapshotResult,
    LogTestResult,
    MainReportVersion,
    SkippingDetails,
)
from dbt_common.events.base_types import msg_from_base_event

from cskpi.dbtrun import Progress

LINE = re.compile(r"^\[\s*(\d+)/(\d+)\s+(\d+\.\d)s\] (\S+)\s+(\S*)\s+(.*)$")
TOTAL = 7


def _node(kind: str, name: str, materialized: str = "") -> dict:
    return {
        "unique_id": f"{kind}.cskpi.{name}",
        "resource_type": kind,
        "node_name": name,
        "materialized": materialized,
    }


def _events() -> list:
    return [
        MainReportVersion(version="1.11", log_version=3),  # not a node: ignored
        LogSeedResult(
            status="INSERT 5",
            result_message="",
            index=1,
            total=TOTAL,
            execution_time=0.1,
            schema="main",
            relation="markets",
            node_info=_node("seed", "markets", "seed"),
        ),
        LogModelResult(
            description="sql incremental model main.base_helpdesk__tickets",
            status="OK",
            index=2,
            total=TOTAL,
            execution_time=1.2,
            node_info=_node("model", "base_helpdesk__tickets", "incremental"),
        ),
        LogBatchResult(
            description="batch 2024-01-01",
            status="success",
            batch_index=1,
            total_batches=2,
            execution_time=0.2,
            node_info=_node("model", "fct_events", "incremental"),
        ),
        LogTestResult(
            name="unique_fct_calls_call_id",
            status="pass",
            index=3,
            num_models=TOTAL,
            execution_time=0.1,
            num_failures=0,
            node_info=_node("test", "unique_fct_calls_call_id"),
        ),
        LogTestResult(
            name="ut_int_calls__enriched_flags",
            status="fail",
            index=4,
            num_models=TOTAL,
            execution_time=0.1,
            num_failures=1,
            node_info=_node("unit_test", "ut_int_calls__enriched_flags"),
        ),
        SkippingDetails(
            resource_type="model",
            schema="main",
            node_name="int_calls__enriched",
            index=5,
            total=TOTAL,
            node_info=_node("model", "int_calls__enriched", "incremental"),
        ),
        LogSnapshotResult(
            description="snapshot main.snap",
            status="SUCCESS",
            index=6,
            total=TOTAL,
            execution_time=0.3,
            cfg={},
            result_message="",
            node_info=_node("snapshot", "snap", "snapshot"),
        ),
        LogNodeNoOpResult(
            description="ephemeral",
            status="NO-OP",
            index=7,
            total=TOTAL,
            execution_time=0.0,
            node_info=_node("model", "eph", "ephemeral"),
        ),
    ]


def _run() -> tuple[Progress, list[str]]:
    out = io.StringIO()
    progress = Progress(out=out)
    for event in _events():
        progress(msg_from_base_event(event))
    return progress, out.getvalue().splitlines()


def test_every_node_type_counts_and_reaches_total() -> None:
    progress, lines = _run()
    node_lines = [line for line in lines if "batch" not in line]
    assert len(node_lines) == TOTAL
    parsed = [LINE.match(line) for line in node_lines]
    assert all(parsed), node_lines
    assert [int(m.group(1)) for m in parsed] == list(range(1, TOTAL + 1))  # type: ignore[union-attr]
    assert {int(m.group(2)) for m in parsed} == {TOTAL}  # type: ignore[union-attr]
    assert [m.group(5) for m in parsed] == [  # type: ignore[union-attr]
        "seed",
        "model",
        "test",
        "unit_test",
        "model",
        "snapshot",
        "model",
    ]
    assert progress.finished == progress.total == TOTAL


def test_names_statuses_and_failures() -> None:
    progress, lines = _run()
    text = "\n".join(lines)
    assert "markets" in lines[0]
    assert "base_helpdesk__tickets (incremental)" in text
    assert progress.failures == ["ut_int_calls__enriched_flags"]
    assert progress.skipped == ["int_calls__enriched (incremental)"]
    assert any(line.split("] ")[1].startswith("SKIP") for line in lines)


def test_microbatch_batches_are_shown_but_not_counted() -> None:
    _, lines = _run()
    batch = [line for line in lines if "batch 1/2" in line]
    assert len(batch) == 1
    assert batch[0].startswith("[   2/7")  # printed after the second node, count unchanged


def test_elapsed_is_monotonic() -> None:
    _, lines = _run()
    elapsed = [float(LINE.match(line).group(3)) for line in lines if LINE.match(line)]  # type: ignore[union-attr]
    assert elapsed == sorted(elapsed)
