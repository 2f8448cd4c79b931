"""Webhook endpoints and deliveries: pure state (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

from ..core.clock import iso
from ..jsontypes import JsonObject
from ..limits import WEBHOOK_RETRY_SCHEDULE

#: Retry schedule (seconds after a failed attempt, on the mock's clock). After the last one
#: the event is marked failed; it can still be redelivered through the control plane.
RETRY_SCHEDULE = WEBHOOK_RETRY_SCHEDULE
EVENTS = ("job.completed", "job.failed", "batch.completed")


class Verification(TypedDict):
    """One verification attempt of an endpoint, as the control plane and dashboard show it."""

    at: str
    status: int | None  # None: no HTTP answer
    ok: bool
    response_excerpt: str
    error: str | None


@dataclass
class Endpoint:
    id: str
    account_key: str
    url: str
    events: list[str]
    description: str | None
    secrets: list[tuple[str, float | None]]  # (secret, expires_at)
    created_at: float
    status: str = "pending_verification"
    verified_at: float | None = None
    force_fail: bool = False
    last_verification: Verification | None = None
    #: Every verification attempt, oldest first (the last one is ``last_verification``).
    verifications: list[Verification] = field(default_factory=list)

    def active_secrets(self, now: float) -> list[str]:
        return [s for s, exp in self.secrets if exp is None or exp > now]

    def as_json(self, with_secret: bool = False) -> JsonObject:
        out: JsonObject = {
            "id": self.id,
            "object": "webhook_endpoint",
            "url": self.url,
            "events": self.events,
            "description": self.description,
            "status": self.status,
            "created_at": iso(self.created_at),
            "verified_at": iso(self.verified_at) if self.verified_at else None,
        }
        if with_secret:
            out["secret"] = self.secrets[-1][0]
        return out


@dataclass
class Attempt:
    number: int
    at: float
    status: int | None
    ok: bool
    latency_ms: float
    response_excerpt: str
    error: str | None = None

    def as_json(self) -> JsonObject:
        return {
            "attempt": self.number,
            "at": iso(self.at),
            "at_unix": self.at,
            "status": self.status,
            "ok": self.ok,
            "latency_ms": round(self.latency_ms, 2),
            "response_excerpt": self.response_excerpt,
            "error": self.error,
        }


@dataclass
class Delivery:
    event_id: str
    type: str
    account_key: str
    endpoint_id: str
    body: bytes
    created: float
    next_attempt_at: float | None
    state: str = "pending"  # held | pending | in_flight | succeeded | failed
    attempts: list[Attempt] = field(default_factory=list)
    #: The fault rule that duplicated, delayed or held this delivery (``flt_...``).
    fault: str | None = None
    #: ``duplicate``: the second delivery of the same event (same id, body and signature
    #: scheme) is listed beside the first with this set.
    duplicate: bool = False
    #: What ``fault`` did: ``duplicate``, ``reorder`` or ``delay`` (the resilience report
    #: counts the duplicated and reordered events).
    fault_action: str | None = None

    def as_json(self) -> JsonObject:
        return {
            "event_id": self.event_id,
            "type": self.type,
            "api_key": self.account_key,
            "endpoint_id": self.endpoint_id,
            "state": self.state,
            "created": iso(self.created),
            "next_attempt_at": iso(self.next_attempt_at) if self.next_attempt_at else None,
            "attempts": [a.as_json() for a in self.attempts],
            "fault": self.fault,
            "duplicate": self.duplicate,
            "fault_action": self.fault_action,
        }
