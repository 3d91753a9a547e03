"""Realistic, deterministic sample data for the raw contract (``cskpi generate``)."""

from cskpi.generator.config import GenerateConfig
from cskpi.generator.engine import generate

__all__ = ["GenerateConfig", "generate"]
