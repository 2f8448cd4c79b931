"""The fault actions: one entry each, the one place that knows what an action does.

An entry says where its action applies and what the rule defaults there (``ActionTerms``:
``calls``, the APIs' calls; ``webhooks``, StagePro's deliveries), the status it answers by
default, what it does (``on_call``: given the call as a ``Shot``, the answer the client
gets; ``on_delivery``: what happens to a webhook delivery) and how the resilience report
words what the client got. The faults layer (``layer.py``) and the webhook hub call the entry
of the rule that fired; neither knows an action by name.

A new action: its entry here, its name in ``openapi/admin.yaml`` (``FaultAction`` and its
target's list, ``CallAction`` or ``WebhookAction``), its row in ``docs/faults.md``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..webhooks.models import Delivery
from .models import ActionTerms
from .responses import ResetResponse, TruncatedResponse

if TYPE_CHECKING:
    from ..webhooks.dispatcher import WebhookHub
    from .layer import Shot
    from .models import FaultRule

CallBehaviour = Callable[["Shot"], Awaitable[Response]]
DeliveryBehaviour = Callable[["WebhookHub", "FaultRule", Delivery], None]


@dataclass(frozen=True)
class Action(ActionTerms):
    """One fault action (see the module's docstring)."""

    on_call: CallBehaviour | None = None
    on_delivery: DeliveryBehaviour | None = None
    #: The client got a broken answer, whatever its status (the report counts it failed).
    breaks: bool = False
    #: The operation ran and its answer never reached the client: a retry may duplicate
    #: what it created (the report's ``duplicate`` finding).
    loses_answer: bool = False
    #: How the report names what the client got, given the status sent (``None``: the
    #: status alone).
    answer: Callable[[int], str] | None = None


# API calls ---------------------------------------------------------------------------------

async def _error(shot: Shot) -> Response:
    return shot.error()


async def _delay(shot: Shot) -> Response:
    await asyncio.sleep((shot.rule.delay_ms or 0) / 1000)
    return await shot.answer()


async def _reset(shot: Shot) -> Response:
    return ResetResponse()


async def _truncate(shot: Shot) -> Response:
    return TruncatedResponse(await shot.answer())


async def _lose_response(shot: Shot) -> Response:
    response = await shot.answer()
    shot.lost(response.status_code)
    return ResetResponse() if shot.rule.lost_as == "reset" else shot.error()


#: ``slow_body``: the answer's body is sent in this many pieces (fewer when it is shorter).
SLOW_PIECES = 8


class TrickledResponse(Response):
    """The real status line and headers, then the body in ``SLOW_PIECES`` pieces with
    ``delay_ms`` of wall time spread between them: every byte arrives, slowly."""

    def __init__(self, inner: Response, delay_ms: int) -> None:
        self.status_code = inner.status_code
        self.background = None
        self.body = getattr(inner, "body", b"")
        self.raw_headers = inner.raw_headers
        self.delay_ms = delay_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.body
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        pieces = max(1, min(SLOW_PIECES, len(body)))
        size = -(-len(body) // pieces)
        for i in range(pieces):
            if i:
                await asyncio.sleep(self.delay_ms / 1000 / (pieces - 1))
            await send({"type": "http.response.body", "body": body[i * size:(i + 1) * size],
                        "more_body": i < pieces - 1})


async def _slow_body(shot: Shot) -> Response:
    return TrickledResponse(await shot.answer(), shot.rule.delay_ms or 0)


# webhook deliveries --------------------------------------------------------------------------

def _duplicate(hub: WebhookHub, rule: FaultRule, delivery: Delivery) -> None:
    twin = Delivery(delivery.event_id, delivery.type, delivery.account_key,
                    delivery.endpoint_id, delivery.body, delivery.created, delivery.created,
                    fault=rule.id, duplicate=True, fault_action=rule.action)
    hub.deliveries[f"{delivery.event_id}#duplicate"] = twin
    hub.start(delivery)
    hub.start(twin)


def _delay_delivery(hub: WebhookHub, rule: FaultRule, delivery: Delivery) -> None:
    # held on the mock's clock: a tick starts it when due
    now = hub.ctx.clock.now()
    delivery.next_attempt_at = now + (rule.delay_seconds or 0.0)
    if delivery.next_attempt_at <= now:
        hub.start(delivery)


def _reorder(hub: WebhookHub, rule: FaultRule, delivery: Delivery) -> None:
    # held until the rule has held its count, then delivered newest first
    delivery.state = "held"
    delivery.next_attempt_at = None
    rule.held.append(delivery)
    if rule.exhausted:
        hub.release(rule)


#: Every action, by name.
ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("error", calls={}, status=503, on_call=_error),
    Action("delay", calls={"delay_ms": 1000}, webhooks={"delay_seconds": 60.0},
           on_call=_delay, on_delivery=_delay_delivery),
    Action("reset", calls={}, on_call=_reset, breaks=True),
    Action("truncate", calls={}, on_call=_truncate, breaks=True,
           answer=lambda status: f"a truncated {status}"),
    Action("lose_response", calls={}, status=502, on_call=_lose_response, loses_answer=True),
    Action("slow_body", calls={"delay_ms": 1000}, on_call=_slow_body),
    Action("duplicate", webhooks={}, on_delivery=_duplicate),
    Action("reorder", webhooks={"times": 2}, on_delivery=_reorder),
)}
