"""dbt-duckdb plugin (profiles.yml ``plugins``): the PII salt as a session variable of every cursor.

DuckDB variables belong to one connection, and dbt-duckdb hands each thread its own cursor, so
the variable is set per cursor. It is passed as a query parameter, outside dbt's SQL and logs.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from cskpi.pii import pii_salt

SALT_VARIABLE = "cskpi_pii_salt"


class Plugin(BasePlugin):
    def configure_cursor(self, cursor: Any) -> None:
        cursor.execute(f"set variable {SALT_VARIABLE} = ?", [pii_salt()])
