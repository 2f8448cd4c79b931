"""StagePro webhooks: endpoints, signed deliveries with retries on the virtual clock.

``verify_signature(payload, header, secret, tolerance=300)`` checks a delivery's
``X-StagePro-Signature`` on the receiving side."""

from __future__ import annotations

from .signing import SignatureVerificationError, verify_signature

__all__ = ["verify_signature", "SignatureVerificationError"]
