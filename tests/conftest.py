"""Session fixtures shared by the test modules."""

from __future__ import annotations

import pytest
from fixtures.warehouse import Warehouses


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouses:
    """``warehouse(scenario)``: that scenario built once per session (shared by every module asking for it)."""
    return Warehouses(tmp_path_factory.mktemp("warehouses"))
