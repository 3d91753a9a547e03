"""Publish: the read-only serving database and Parquet exports readers use.

Runs in its own job after a nightly run succeeded with every ERROR check passing
(see sensors.publish_after_nightly_sensor and ``cskpi run``), so a failed run never
replaces what readers see.
"""


from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, MetadataValue, asset

from cskpi.lock import WarehouseLockBusy
from cskpi.marts import MartSourceError
from cskpi.paths import serving_dir
from cskpi.publish import keep_versions, publish
from orchestration import progress
from orchestration.resources import WarehouseResource

SERVING_ASSET_KEY = AssetKey("serving_database")


def build_serving_asset(upstream: list[AssetKey]):  # noqa: ANN201 - dagster's decorated type
    """The serving asset depends on every mart so the UI shows where published data comes from."""

    @asset(
        key=SERVING_ASSET_KEY,
        deps=upstream,
        group_name="serving",
        description=(
            "Read-only copy of the marts of the target warehouse for analysts and BI tools: "
            "data/serving/current/cskpi.duckdb and Parquet exports, swapped in atomically; previous "
            "versions kept for `cskpi rollback`. Disabled on the spark target."
        ),
    )
    def serving_database(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        try:
            source = warehouse.mart_source()
            # Shared lock: publishing only reads the warehouse, but no writer may be mid-build.
            with warehouse.lock(purpose="publish (read-only)", shared=True):
                version = publish(source, serving_dir(), context.run_id, keep=keep_versions())
        except MartSourceError as exc:  # publish disabled (spark) or the server cannot be read
            raise Failure(description=str(exc), allow_retries=False) from None
        except WarehouseLockBusy as exc:  # another publish kept the serving lock past CSKPI_PUBLISH_WAIT_SECONDS
            raise Failure(description=str(exc)) from None
        progress.report("asset", "serving_database", "materialized", version.version_id)
        return MaterializeResult(
            metadata={
                "version_id": version.version_id,
                "path": MetadataValue.path(str(version.path)),
                "tables": len(version.tables),
                "rows": sum(t.row_count for t in version.tables),
                "row_counts": MetadataValue.json({t.name: t.row_count for t in version.tables}),
            }
        )

    return serving_database
