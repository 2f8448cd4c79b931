"""Handlers of the control plane, named after ``openapi/admin.yaml``'s operationIds."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from .._version import __version__
from ..core.clock import iso
from ..errors import NotFound, Unauthorized, ValidationFailed, stagepro_shape
from ..faults.validation import RuleSchema
from ..http import json_response
from ..jsontypes import JsonObject
from ..spec.binding import ApiBinding, Call
from ..spec.loader import ApiSpec, Operation
from . import operation

if TYPE_CHECKING:
    from ..backend import Backend
    from ..context import AppContext
    from ..webhooks.dispatcher import WebhookHub
    from ..webhooks.models import Endpoint

#: ``advanceUntilIdle`` moves the clock at most this many times (each to the next job event).
IDLE_STEPS = 100_000


def _clock(ctx: AppContext) -> JsonObject:
    now = ctx.clock.now()
    return {
        "now": iso(now),
        "unix": now,
        "mode": ctx.clock.mode,
        "offset_seconds": ctx.clock.offset,
    }


@operation("getHealth")
async def getHealth(call: Call) -> Response:
    ctx = call.context
    return json_response(
        {
            "status": "ok",
            "version": __version__,
            "deterministic": ctx.settings.deterministic,
            "seed": ctx.settings.seed,
            "clock": _clock(ctx),
            "apis": {
                b.name: {"base_path": b.base_path or "/", "spec": f"/openapi/{b.spec_file}"}
                for b in ctx.backends.values()
            },
        }
    )


@operation("resetMock")
async def resetMock(call: Call) -> Response:
    api_key = (call.body or {}).get("api_key")
    call.context.reset(api_key)
    return json_response({"reset": "account" if api_key else "all", "api_key": api_key})


@operation("getClock")
async def getClock(call: Call) -> Response:
    # like every move of time: the image work due by now is awaited, never waited for
    ctx = call.context
    await ctx.catch_up(ctx.clock.now(), ctx.tick)
    return json_response(_clock(call.context))


@operation("advanceClock")
async def advanceClock(call: Call) -> Response:
    # In steps, awaiting the image work each needs (the event loop stays free meanwhile).
    await call.context.advance_clock(float(call.body["seconds"]))
    return json_response(_clock(call.context))


@operation("advanceUntilIdle")
async def advanceUntilIdle(call: Call) -> Response:
    # Brought up to now first, every backend's next event is exact: step to it, until none is
    # left (inf) or max_seconds is spent.
    ctx = call.context
    limit = float((call.body or {}).get("max_seconds", 3600))
    start = ctx.clock.offset
    idle = False
    for _ in range(IDLE_STEPS):
        now = ctx.clock.now()
        await ctx.catch_up(now, ctx.tick)
        upcoming = min((b.next_event() for b in ctx.backends.values()), default=math.inf)
        if upcoming == math.inf:
            idle = True
            break
        left = limit - (ctx.clock.offset - start)
        if left <= 0:
            break
        await ctx.advance_clock(min(max(upcoming - now, 0.0), left))
    return json_response(
        {**_clock(ctx), "advanced_seconds": ctx.clock.offset - start, "idle": idle}
    )


@operation("getJournal")
async def getJournal(call: Call) -> Response:
    journal = call.context.journal
    entries = journal.entries(
        api_key=call.query.get("api_key"),
        api=call.query.get("api"),
        since=call.query.get("since", 0),
        nonconformant_only=call.query.get("nonconformant", False),
    )
    return json_response(
        {
            "entries": [e.as_dict() for e in entries],
            "total": journal.total,
            "dropped": journal.dropped,
            "capacity": journal.capacity,
        }
    )


@operation("getResilience")
async def getResilience(call: Call) -> Response:
    """``journal-report --json``'s ``faults_injected`` and ``resilience``, computed from the
    same journal entries the report reads over ``GET /__mock/journal``."""
    from ..faults import resilience

    max_retries = int(call.query.get("max_retries", resilience.MAX_RETRIES))
    journal = call.context.journal
    entries = [e.as_dict() for e in journal.entries(api_key=call.query.get("api_key"))]
    return json_response({
        "faults_injected": sum(1 for e in entries if e.get("fault")),
        "max_retries": max_retries,
        "resilience": [f.as_json() for f in resilience.findings(entries, max_retries)],
    })


@operation("clearJournal")
async def clearJournal(call: Call) -> Response:
    call.context.journal.clear(call.query.get("api_key"))
    return Response(status_code=204)


@operation("createConsoleSession")
async def createConsoleSession(call: Call) -> Response:
    api_key = call.body["api_key"]
    backend = call.context.backends.get("stagepro")
    opener = getattr(backend, "open_console_session", None)
    if backend is None or opener is None or not backend.owns_key(api_key):
        raise ValidationFailed(
            "console sessions exist for StagePro keys only (sk_test_... or sk_live_...)",
            field="api_key",
        )
    token = opener(api_key)
    if token is None:
        raise Unauthorized(
            "that key is unknown or revoked: no console session for it", field="api_key"
        )
    return json_response(
        {"token": token, "cookie": f"stagepro_session={token}", "api_key": api_key}, 201
    )


def _backend(call: Call, api_key: str) -> Backend:
    backend = call.context.backend_for_key(api_key)
    if backend is None:
        raise ValidationFailed(
            "the key belongs to no API: StagePro keys start with sk_test_/sk_live_, "
            "Stager AI keys with stager_",
            field="api_key",
        )
    return backend


@operation("createAccount")
async def createAccount(call: Call) -> Response:
    backend = _backend(call, call.body["api_key"])
    return json_response(backend.create_account(call.body), 201)


@operation("getAccount")
async def getAccount(call: Call) -> Response:
    api_key = call.path["api_key"]
    backend = call.context.backend_for_key(api_key)
    account = backend.describe_account(api_key) if backend else None
    if account is None:
        raise NotFound(f"no account for key {api_key!r}", field="api_key")
    return json_response(account)


@operation("updateAccount")
async def updateAccount(call: Call) -> Response:
    api_key = call.path["api_key"]
    backend = call.context.backend_for_key(api_key)
    account = backend.update_account(api_key, call.body) if backend else None
    if account is None:
        raise NotFound(f"no account for key {api_key!r}", field="api_key")
    return json_response(account)


def _hub(call: Call) -> WebhookHub:
    return call.context.webhooks


def _endpoint_json(endpoint: Endpoint, with_secret: bool = False) -> JsonObject:
    out = {**endpoint.as_json(with_secret=with_secret), "force_fail": endpoint.force_fail,
           "last_verification": endpoint.last_verification}
    return out


@operation("listWebhookDeliveries")
async def listWebhookDeliveries(call: Call) -> Response:
    q = call.query
    deliveries = _hub(call).list(
        api_key=q.get("api_key"), endpoint_id=q.get("endpoint_id"), event_id=q.get("event_id")
    )
    return json_response({"data": [d.as_json() for d in deliveries]})


@operation("redeliverWebhookEvent")
async def redeliverWebhookEvent(call: Call) -> Response:
    return json_response(_hub(call).redeliver(call.path["event_id"]).as_json())


@operation("updateWebhookEndpoint")
async def updateWebhookEndpoint(call: Call) -> Response:
    endpoint = _hub(call).endpoint(call.path["endpoint_id"])
    endpoint.force_fail = call.body["force_fail"]
    return json_response(_endpoint_json(endpoint))


@operation("verifyWebhookEndpoint")
async def verifyWebhookEndpoint(call: Call) -> Response:
    hub = _hub(call)
    endpoint = await hub.verify(hub.endpoint(call.path["endpoint_id"]))
    return json_response(_endpoint_json(endpoint))


@operation("rotateWebhookSecret")
async def rotateWebhookSecret(call: Call) -> Response:
    expires_in = float((call.body or {}).get("expires_in", 86400))
    endpoint = _hub(call).rotate(call.path["endpoint_id"], expires_in)
    return json_response(_endpoint_json(endpoint, with_secret=True))




@operation("createFault")
async def createFault(call: Call) -> Response:
    return json_response(call.context.add_fault(call.body).as_json(), 201)


@operation("listFaults")
async def listFaults(call: Call) -> Response:
    faults = call.context.faults
    limit = faults.rate_limit
    return json_response({
        "data": [r.as_json() for r in faults.listing(call.query.get("api_key"))],
        "rate_limit": limit.text if limit is not None else None,
    })


@operation("getFault")
async def getFault(call: Call) -> Response:
    return json_response(call.context.faults.get(call.path["fault_id"]).as_json())


@operation("deleteFault")
async def deleteFault(call: Call) -> Response:
    ctx = call.context
    ctx.remove_faults([ctx.faults.remove(call.path["fault_id"])])
    return Response(status_code=204)


@operation("clearFaults")
async def clearFaults(call: Call) -> Response:
    ctx = call.context
    ctx.remove_faults(ctx.faults.clear(call.query.get("api_key")))
    return Response(status_code=204)


def _no_auth(op: Operation, request: Request) -> None:
    return None


def admin_binding(spec: ApiSpec) -> ApiBinding:
    from . import dashboard  # noqa: F401  (registers the dashboard's operations)

    return ApiBinding(
        spec=spec, handlers=operation.handlers, authenticate=_no_auth,
        error_shape=stagepro_shape,
        # a fault rule's violations in its terms, as every surface of rules words them
        explain=RuleSchema(spec.document).explain,
    )
