"""Where things live; every location can be overridden from the environment."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def project_dir() -> Path:
    return Path(os.environ.get("CSKPI_PROJECT_DIR", PROJECT_DIR))


def raw_dir() -> Path:
    """Landing folder of the raw files (``<raw_dir>/<system>/<table>/*.parquet``)."""
    return Path(os.environ.get("CSKPI_RAW_DIR", project_dir() / "data" / "raw"))


def warehouse_path() -> Path:
    """The DuckDB file dbt writes; readers never open it (they use the serving copy)."""
    return Path(os.environ.get("CSKPI_DUCKDB_PATH", project_dir() / "data" / "warehouse" / "cskpi.duckdb"))


def serving_dir() -> Path:
    """Published, read-only copies for analysts and BI tools (``current`` points at the live version)."""
    return Path(os.environ.get("CSKPI_SERVING_DIR", project_dir() / "data" / "serving"))


def resolve(path: str | os.PathLike[str]) -> Path:
    """Relative paths are relative to the project dir, exactly as dbt (cwd = project dir) sees them."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else project_dir() / p
