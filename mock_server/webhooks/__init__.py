"""StagePro webhooks: endpoints, signed deliveries with retries on the virtual clock."""

from __future__ import annotations

from typing import Any


def install(ctx: Any, backend: Any) -> None:
    """Wire webhook delivery into the StagePro backend (subscribers, ticker, validator)."""
