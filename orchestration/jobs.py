"""The nightly job: ``dbt build`` of every seed, model and test (the tests, data checks included,
are asset checks), and the publish job."""

from collections.abc import Sequence

from dagster import AssetChecksDefinition, AssetsDefinition, AssetSelection, define_asset_job
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

NIGHTLY_JOB_NAME = "cskpi_nightly"
PUBLISH_JOB_NAME = "cskpi_publish"
# Name of the @dbt_assets op; run configs (CLI, weekly full refresh) address it by this name.
DBT_OP_NAME = "cskpi_dbt"

# The run queue limits runs carrying this tag to one at a time (dagster.yaml), because
# DuckDB has a single writer; the file lock in cskpi/lock.py covers in-process runs.
WAREHOUSE_TAG_KEY = "cskpi/warehouse"
WAREHOUSE_TAG = {WAREHOUSE_TAG_KEY: "duckdb"}

# Run-level retries for crashes only (run worker killed, OOM, node lost): a failing model
# or test is a data problem that a blind re-run would just repeat.
RUN_RETRY_TAGS = {
    "dagster/max_retries": "2",
    "dagster/retry_on_asset_or_op_failure": "false",
}

NIGHTLY_RUN_TAGS = {**WAREHOUSE_TAG, **RUN_RETRY_TAGS}


def build_nightly_job(
    dbt_assets: AssetsDefinition, excluded_checks: Sequence[AssetChecksDefinition] = ()
) -> UnresolvedAssetJobDefinition:
    """All dbt assets and every check on them except ``excluded_checks`` (the freshness
    checks, which judge the *previous* run and are evaluated by their own sensor)."""
    selection = AssetSelection.assets(dbt_assets)
    if excluded_checks:
        selection = selection - AssetSelection.checks(*excluded_checks)
    return define_asset_job(
        name=NIGHTLY_JOB_NAME,
        selection=selection,
        description="Nightly refresh: dbt build of seeds, models and tests, the data checks included.",
        tags=NIGHTLY_RUN_TAGS,
    )


def build_publish_job(serving_asset: AssetsDefinition) -> UnresolvedAssetJobDefinition:
    """Publishing alone, launched after a clean nightly run (a failed run must not replace what readers see)."""
    return define_asset_job(
        name=PUBLISH_JOB_NAME,
        selection=AssetSelection.assets(serving_asset),
        description="Copy the marts into a new read-only serving version and swap it in atomically.",
        tags=WAREHOUSE_TAG,
    )
