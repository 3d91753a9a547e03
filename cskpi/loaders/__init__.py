"""Loaders that copy the landing files into the raw schemas of a server warehouse.

DuckDB reads the landing files directly (dbt sources with ``external_location``);
server targets need the raw tables materialised first: ``cskpi load --target postgres``.
"""

from cskpi.loaders.landing import LandingError, LandingTable, find_landing_tables

__all__ = ["LandingError", "LandingTable", "find_landing_tables"]
