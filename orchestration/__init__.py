"""Dagster code location of the customer-service KPI warehouse (``orchestration.definitions``)."""
