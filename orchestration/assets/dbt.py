"""The dbt project as Dagster assets: every seed and model one asset, every dbt test an asset check.

``dbt build`` runs seeds, models and tests in DAG order, so an error-severity test
failure makes dbt skip everything downstream of the tested node; dagster-dbt marks
those tests as blocking checks, and the step fails with the failing node named. The data
checks (README, "Nightly checks") are dbt tests too; a failed or warned one gets the
messages of its stored failing rows as description (orchestration/assets/failures.py).
"""

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetSpec,
    Config,
    Failure,
    FreshnessPolicy,
    MetadataValue,
    Output,
)
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from cskpi import pii
from cskpi.dbt_args import dbt_build_args, parse_vars
from cskpi.lock import WarehouseLockBusy, warehouse_held_message
from cskpi.partial import ABSENT_PREFIX, describe_absent, parse_absent
from orchestration import progress
from orchestration.assets.failures import stored_failure_relations, with_failing_rows
from orchestration.assets.landing import landing_key_for_path
from orchestration.jobs import DBT_OP_NAME
from orchestration.project import cskpi_dbt_project, keep_invocations, prune_invocations
from orchestration.resources import WarehouseResource

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
LAYER_GROUPS = ("staging", "intermediate", "marts", "kpi", "quality")
SEED_GROUP = "reference"
FRESHNESS_GROUPS = frozenset({"marts", "kpi"})
FRESHNESS_LIMIT = timedelta(hours=26)  # nightly refresh + 2 h slack


def layer_for_path(original_file_path: str, resource_type: str = "model") -> str | None:
    """Dagster group of a dbt node from its folder: models/<layer>/..., marts/kpi and
    marts/quality being their own layers; seeds are reference data."""
    if resource_type == "seed":
        return SEED_GROUP
    parts = PurePosixPath(original_file_path.replace("\\", "/")).parts
    if len(parts) < 3 or parts[0] != "models":
        return None
    layer = parts[1]
    if layer == "marts" and len(parts) >= 4 and parts[2] in ("kpi", "quality"):
        return parts[2]
    return layer if layer in LAYER_GROUPS else None


def _meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return {**(props.get("meta") or {}), **((props.get("config") or {}).get("meta") or {})}


def owners_from_meta(meta: Mapping[str, Any]) -> list[str]:
    """``meta.owner`` / ``meta.owners`` (string or list) as Dagster owners: e-mails stay,
    anything else becomes a team (``team:<name>``) because Dagster accepts only those two."""
    raw = meta.get("owners", meta.get("owner"))
    if raw is None:
        raw = (meta.get("dagster") or {}).get("owners")
    values = [raw] if isinstance(raw, str) else list(raw or [])
    owners: list[str] = []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        if "@" in text or text.startswith("team:"):
            owners.append(text)
        else:
            owners.append("team:" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text))
    return owners


class CskpiDbtTranslator(DagsterDbtTranslator):
    """Groups by layer, landing keys for sources, descriptions and owners from dbt meta."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if spec.group_name in FRESHNESS_GROUPS:
            # Declarative twin of the freshness checks (definitions.py), shown on the asset
            # page when the instance enables freshness (dagster.yaml).
            spec = spec.replace_attributes(freshness_policy=FreshnessPolicy.time_window(fail_window=FRESHNESS_LIMIT))
        return spec

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props.get("resource_type") == "source":
            # Sources are the landing tables: share their keys so lineage starts at landing.
            contract_path = _meta(dbt_resource_props).get("contract_path") or (
                f"{dbt_resource_props['source_name']}/{dbt_resource_props['name']}"
            )
            return landing_key_for_path(str(contract_path))
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer_for_path(
            str(dbt_resource_props.get("original_file_path", "")),
            str(dbt_resource_props.get("resource_type", "model")),
        ) or super().get_group_name(dbt_resource_props)

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        meta = _meta(dbt_resource_props)
        text = (dbt_resource_props.get("description") or "").strip() or str(meta.get("description") or "")
        grain = meta.get("grain")
        if grain:
            text = f"{text}\n\nGrain: {grain}".strip()
        return text or super().get_description(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        return owners_from_meta(_meta(dbt_resource_props)) or super().get_owners(dbt_resource_props)


translator = CskpiDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


class DbtBuildConfig(Config):
    """Run config of the dbt step (``cskpi run --full-refresh --vars '{...}'`` sets these)."""

    full_refresh: bool = False
    vars_json: str = ""


def _failed_nodes(run_results: Mapping[str, Any]) -> list[str]:
    failed = []
    for result in run_results.get("results", []):
        status = str(result.get("status", ""))
        if status in ("error", "fail", "runtime error"):
            uid = str(result.get("unique_id", "?"))
            message = " ".join(_ANSI.sub("", str(result.get("message") or "")).split())[:300]
            failed.append(f"{uid} ({status}): {message}")
    return failed


def absent_raw_tables(log_dir: Path) -> list[str]:
    """Raw tables this build found absent, from check_raw_contract's line in the invocation's
    dbt log (read from the files: opening the warehouse in process would hold it open). dbt
    rotates a long log into dbt.log.1, ...: every part is read, oldest first."""
    found: list[str] = []
    for log_path in sorted(log_dir.glob("dbt.log*"), key=lambda f: f.stat().st_mtime):
        for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            at = line.find(ABSENT_PREFIX)
            if at >= 0:
                # text or JSON log lines: the message ends at the line end or its closing quote
                found = parse_absent(_ANSI.sub("", line[at:]).split('"', 1)[0]) or found
    return found


def _report(event: object) -> None:
    if isinstance(event, Output | AssetMaterialization):
        name = event.output_name if isinstance(event, Output) else event.asset_key.to_user_string()
        progress.report("asset", name, "materialized")
    elif isinstance(event, AssetCheckResult):
        status = "passed" if event.passed else ("failed" if event.severity.value == "ERROR" else "warn")
        name = f"{event.asset_key.to_user_string() if event.asset_key else '?'}:{event.check_name}"
        progress.report("check", name, status, event.description or "")


@dbt_assets(
    manifest=cskpi_dbt_project.manifest_path,
    project=cskpi_dbt_project,
    dagster_dbt_translator=translator,
    name=DBT_OP_NAME,
    op_tags={"cskpi/warehouse": "duckdb"},
)
def cskpi_dbt_assets(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    config: DbtBuildConfig,
) -> Iterator[Any]:
    try:
        # the same checks as cskpi build / cskpi run, for runs launched from the UI or a schedule
        args = dbt_build_args(full_refresh=config.full_refresh, vars=parse_vars(config.vars_json))
        pii.check_salt()
    except ValueError as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    context.log.info(f"dbt {' '.join(args)} -> {warehouse.describe()}")
    started = time.monotonic()
    # Re-entrant: under `cskpi run` the CLI already holds it; elsewhere this is the guard.
    lock = warehouse.lock(purpose=f"dagster run {context.run_id}")
    try:
        lock.acquire()
    except WarehouseLockBusy as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    try:
        with warehouse.dbt_env():
            progress.report("step", "dbt " + " ".join(args), "started")
            invocation = dbt.cli(args, context=context, raise_on_error=False)
            relations = stored_failure_relations(invocation.manifest)
            # Held back until dbt is done: their messages are read from the built warehouse.
            held: list[AssetCheckResult] = []
            for event in invocation.stream():
                if isinstance(event, AssetCheckResult) and not event.passed and event.check_name in relations:
                    held.append(event)
                    continue
                _report(event)
                yield event
            for result in held:
                result = with_failing_rows(result, invocation.adapter, relations[str(result.check_name)])
                _report(result)
                yield result
            partial = describe_absent(absent_raw_tables(invocation.target_path))
            if partial:
                context.log.info(f"partial landing: {partial} (absent tables read as empty)")
                progress.report("landing", partial, "partial")
            if not invocation.is_successful():
                failed: list[str] = []
                if (invocation.target_path / "run_results.json").exists():
                    failed = _failed_nodes(invocation.get_artifact("run_results.json"))
                # No run_results (e.g. a parse or on-run-start error): dbt's own message then.
                error_text = _ANSI.sub("", str(invocation.get_error()))
                held = warehouse_held_message(error_text)
                if held:
                    raise Failure(description=held, allow_retries=False)
                reason = "; ".join(failed) or " ".join(error_text.split())[-1500:]
                raise Failure(
                    description="dbt build failed: " + reason,
                    metadata={
                        "failed_nodes": MetadataValue.json(failed),
                        "dbt_command": " ".join(args),
                        "elapsed_seconds": round(time.monotonic() - started, 1),
                    },
                    allow_retries=False,
                )
    finally:
        lock.release()
        prune_invocations(cskpi_dbt_project.project_dir / cskpi_dbt_project.target_path, keep_invocations())
