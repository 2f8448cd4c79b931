"""A tiny StagePro client: what an integrator's application code looks like."""

from .client import StageProClient, StageProError

__all__ = ["StageProClient", "StageProError"]
