"""Session fixtures shared by the test modules."""

from __future__ import annotations

import os

import pytest
from fixtures.warehouse import Warehouses


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (``make test`` runs two workers) each worker gets its own dbt target
    and log folder: dbt commands and the Dagster code location that fall back to the project's
    ``target/`` would otherwise overwrite each other's manifest, partial-parse file and run results."""
    # The tests build generated data: cskpi build / run and the Dagster dbt step (in process or
    # as a child inheriting the environment) accept the demo salt (cskpi/pii.py).
    os.environ.setdefault("CSKPI_DEMO", "1")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        os.environ.setdefault("DBT_TARGET_PATH", f"target/{worker}")
        os.environ.setdefault("DBT_LOG_PATH", f"logs/{worker}")


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouses:
    """``warehouse(scenario)``: that scenario built once per session (shared by every module asking for it)."""
    return Warehouses(tmp_path_factory.mktemp("warehouses"))
