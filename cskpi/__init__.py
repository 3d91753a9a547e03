"""Customer-service KPI warehouse: generator, loaders and command-line interface."""

__version__ = "0.1.0"
