"""The code location: ``dagster dev -m orchestration.definitions``."""

import warnings

from dagster import (
    AssetCheckSeverity,
    AssetKey,
    DefaultSensorStatus,
    Definitions,
    SupersessionWarning,
    build_last_update_freshness_checks,
    build_sensor_for_freshness_checks,
)
from dagster_dbt import DbtCliResource

from orchestration.alerts import AlertResource
from orchestration.assets.dbt import FRESHNESS_GROUPS, FRESHNESS_LIMIT, cskpi_dbt_assets
from orchestration.assets.landing import landing_specs
from orchestration.assets.serving import build_serving_asset
from orchestration.jobs import build_nightly_job, build_publish_job
from orchestration.project import cskpi_dbt_project, dbt_executable
from orchestration.resources import WarehouseResource
from orchestration.schedules import build_full_refresh_schedule, build_nightly_schedule
from orchestration.sensors import (
    build_publish_sensor,
    check_failure_alert_sensor,
    landing_observation_sensor,
    run_failure_alert_sensor,
)


def _mart_keys() -> list[AssetKey]:
    return sorted(
        (key for key, group in cskpi_dbt_assets.group_names_by_key.items() if group in FRESHNESS_GROUPS),
        key=lambda k: k.to_user_string(),
    )


mart_keys = _mart_keys()
with warnings.catch_warnings():
    # Freshness checks are "superseded" by FreshnessPolicy, but policies need the preview
    # freshness daemon; checks give a pass/fail result on the asset page in plain OSS.
    warnings.simplefilter("ignore", SupersessionWarning)
    freshness_checks = (
        list(
            build_last_update_freshness_checks(
                assets=mart_keys, lower_bound_delta=FRESHNESS_LIMIT, severity=AssetCheckSeverity.ERROR
            )
        )
        if mart_keys
        else []
    )
    freshness_sensor = build_sensor_for_freshness_checks(
        freshness_checks=freshness_checks,
        name="cskpi_marts_freshness",
        minimum_interval_seconds=30 * 60,
        default_status=DefaultSensorStatus.RUNNING,
    )
nightly_job = build_nightly_job(cskpi_dbt_assets, excluded_checks=freshness_checks)
serving_asset = build_serving_asset(mart_keys)
publish_job = build_publish_job(serving_asset)

defs = Definitions(
    assets=[*landing_specs, cskpi_dbt_assets, serving_asset],
    asset_checks=freshness_checks,
    jobs=[nightly_job, publish_job],
    schedules=[build_nightly_schedule(nightly_job), build_full_refresh_schedule(nightly_job)],
    sensors=[
        run_failure_alert_sensor,
        check_failure_alert_sensor,
        build_publish_sensor(nightly_job, publish_job),
        landing_observation_sensor,
        freshness_sensor,
    ],
    resources={
        "dbt": DbtCliResource(project_dir=cskpi_dbt_project, dbt_executable=dbt_executable()),
        "warehouse": WarehouseResource(),
        "alerts": AlertResource(),
    },
)
