"""StagePro webhooks: endpoints, signed deliveries with retries on the virtual clock.

``verify_signature(payload, header, secret, tolerance=300)`` checks a delivery's
``X-StagePro-Signature`` on the receiving side."""

from __future__ import annotations

from typing import Any

from .signing import SignatureVerificationError, verify_signature

__all__ = ["install", "verify_signature", "SignatureVerificationError"]


def install(ctx: Any, backend: Any) -> None:
    """Wire webhook delivery into the StagePro backend (subscribers, ticker, validator)."""
    from .dispatcher import WebhookHub

    hub = WebhookHub(ctx)
    backend.webhooks = hub
    ctx.webhooks = hub
    backend.event_subscribers.append(hub.publish)
    backend.endpoint_validator = hub.validate
    ctx.tickers.append(hub.tick)
    ctx.resetters.append(hub.reset)
    ctx.closers.append(hub.close)
