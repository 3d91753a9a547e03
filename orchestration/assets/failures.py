"""The failing rows of the data checks, shown as the description of their asset check.

The data checks are dbt tests whose failing rows carry a ``message`` column and are stored
(``store_failures``, README "Nightly checks"). After the build, each failed or warned check
reads up to ``MESSAGE_LIMIT`` messages from its stored relation through dagster-dbt's dbt
adapter: the connection of the target that was built, whatever the adapter, so a PostgreSQL
run never looks at a DuckDB file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dagster import AssetCheckResult, MetadataValue
from dbt_common.exceptions import DbtRuntimeError

if TYPE_CHECKING:
    from dbt.adapters.base import BaseAdapter

MESSAGE_LIMIT = 10
FAILED_ROWS_KEY = "dagster_dbt/failed_row_count"


def stored_failure_relations(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Relation of the stored failing rows of every dbt test with ``store_failures``, by test
    name (which dagster-dbt uses as the check name)."""
    return {
        str(node["name"]): str(node["relation_name"])
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "test"
        and (node.get("config") or {}).get("store_failures")
        and node.get("relation_name")
    }


def failing_messages(adapter: BaseAdapter, relation: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The first ``limit`` messages (sorted) of a stored failures relation."""
    try:
        with adapter.connection_named("cskpi_check_messages"):
            _, table = adapter.execute(f"select message from {relation} order by message", fetch=True, limit=limit)
    finally:
        # Close every handle: an embedded DuckDB file stays open in this process otherwise, and a
        # later read-only connection to it (serving, publish, a test) is refused.
        adapter.cleanup_connections()
        # dbt-duckdb keeps its database open after the last handle (keep_open, default true):
        # dropping its environment closes the file.
        close_all = getattr(type(adapter.connections), "close_all_connections", None)
        if close_all is not None:
            close_all()
    return [str(row[0]) for row in table.rows]


def failed_row_count(result: AssetCheckResult) -> int | None:
    value = result.metadata.get(FAILED_ROWS_KEY)
    raw = getattr(value, "value", value)
    return int(raw) if isinstance(raw, int | float) else None


def describe_failures(messages: Sequence[str], failed_rows: int | None) -> str:
    """``N failing rows: first | second | ...`` (the run summary prints one message a line)."""
    total = failed_rows if failed_rows is not None else len(messages)
    text = f"{total} failing row{'s' if total != 1 else ''}: " + " | ".join(messages)
    if total > len(messages):
        text += f" | ... {total - len(messages)} more"
    return text


def with_failing_rows(result: AssetCheckResult, adapter: BaseAdapter | None, relation: str) -> AssetCheckResult:
    """``result`` with the stored messages as its description (and the relation in its metadata)."""
    metadata: dict[str, Any] = {**result.metadata, "failing_rows_relation": relation}
    description = f"failing rows stored in {relation}"
    if adapter is not None:
        try:
            messages = failing_messages(adapter, relation)
        except DbtRuntimeError as exc:  # e.g. the test errored and stored nothing
            description += f" (not readable: {' '.join(str(exc).split())[:300]})"
        else:
            if messages:
                description = describe_failures(messages, failed_row_count(result))
                metadata["failing_rows_sample"] = MetadataValue.json(messages)
    return AssetCheckResult(
        passed=result.passed,
        asset_key=result.asset_key,
        check_name=result.check_name,
        severity=result.severity,
        metadata=metadata,
        description=description,
    )
