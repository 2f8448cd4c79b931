"""StagePro handlers, named after ``openapi/stagepro.yaml``'s operationIds. Each parses the
validated call, asks the engine, serialises the answer."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.responses import Response

from ..errors import NotFound
from ..faults.resilience import IDEMPOTENCY_FIELD
from ..http import JSON, RawJSON, base_url, dumps, header, json_response
from ..jsontypes import JsonObject
from ..limits import JOBS_PAGE_DEFAULT
from ..spec.binding import JOURNAL_KEY, Call
from . import operation
from .cursors import fingerprint
from .exceptions import IdempotencyConflict
from .models import Account
from .serialise import batch_json, workflow_json

if TYPE_CHECKING:
    from ..journal import JournalEntry
    from .backend import StageProBackend


def _backend(call: Call) -> StageProBackend:
    return call.context.stagepro


def _account(call: Call) -> Account:
    """The caller's account, brought up to the clock first."""
    account = call.principal.account
    _backend(call).sync(account)
    return account


def _origin(call: Call) -> str:
    # Interned: every job keeps its origin, and a store holds hundreds of thousands of jobs
    # made through one or two origins (70 bytes a job otherwise).
    return sys.intern(base_url(call.request, call.context.settings.public_url))


def idempotency_header(call: Call) -> None:
    """The body's ``idempotency_key`` is the documented field; the ``Idempotency-Key`` header
    (Stripe's) is this mock's alias of it. A header alone is copied into the body, and the
    journal warns that the real API may ignore it; a header that differs from the body field
    loses to it (the request is schema-valid: no 4xx), journaled as a guess too."""
    sent = header(call.request, b"idempotency-key")
    in_body = call.body.get("idempotency_key") if isinstance(call.body, dict) else None
    entry: JournalEntry | None = call.request.scope.get(JOURNAL_KEY)
    if entry is not None and call.context.faults.armed:
        # the resilience report's evidence: the key in effect, the documented field first
        entry.idempotency_key = in_body if in_body is not None else sent
    if sent is None or in_body == sent:
        return
    if in_body is not None:
        warning = (
            f"the `Idempotency-Key` header ({sent!r}) and the body's `idempotency_key` "
            f"({in_body!r}) differ: the body's was used, as {IDEMPOTENCY_FIELD}"
        )
    else:
        warning = (
            "idempotency by the `Idempotency-Key` header alone: "
            f"{IDEMPOTENCY_FIELD}, and the real API may ignore it (a retry would then create "
            "a second object); send the key as `idempotency_key` in the body"
        )
        if call.body is None:
            call.body = {}
        call.body["idempotency_key"] = sent
    if entry is not None:
        entry.warnings.append({"field": "Idempotency-Key", "message": warning,
                               "guess": IDEMPOTENCY_FIELD})


def replayed(raw: bytes) -> Response:
    """A stored 202 answered again for a replayed idempotency key."""
    return Response(raw, status_code=202, media_type=JSON,
                    headers={"Idempotent-Replayed": "true"})


def idempotency_lookup(call: Call, operation: str) -> tuple[str, str, bytes | None] | None:
    """For a body with an ``idempotency_key`` (per account, per operation): its slot, the
    request's fingerprint and the response stored for them (``None``: the key's first use);
    409 when the key was used with another body. ``None`` when the body has no key."""
    body = call.body or {}
    key = body.get("idempotency_key")
    if key is None:
        return None
    slot = f"{operation}:{key}"
    fp = fingerprint(operation, {**body, "_path": call.path})
    stored = call.principal.account.idempotency.get(slot)
    if stored is not None and stored[0] != fp:
        raise IdempotencyConflict(
            f"idempotency_key {key!r} was already used with a different request body",
            field="idempotency_key",
        )
    return slot, fp, stored[1] if stored is not None else None


def _idempotent(
    call: Call, operation: str, create: Callable[[Account], JsonObject]
) -> Response:
    """Stored first response for a replayed key and body; 409 for the key with another body."""
    account = _account(call)
    found = idempotency_lookup(call, operation)
    if found is None:
        return RawJSON(dumps(create(account)), 202)
    slot, fp, raw = found
    if raw is not None:
        return replayed(raw)
    raw = dumps(create(account))
    account.idempotency[slot] = (fp, raw)
    return RawJSON(raw, 202)


@operation("getCapabilities")
async def getCapabilities(call: Call) -> Response:
    return _backend(call).capabilities_response


@operation("getUsage")
async def getUsage(call: Call) -> Response:
    account = _account(call)
    plan = account.plan
    counts = {"queued": 0, "processing": 0, "completed": 0, "failed": 0}
    for job in account.jobs.values():
        counts[job.status] += 1
    return json_response(
        {
            "object": "usage",
            "livemode": account.livemode,
            "plan": {
                "name": plan.name,
                "max_parallel_jobs": plan.max_parallel_jobs,
                "storage_limit_bytes": plan.storage_limit_bytes,
            },
            "credits": {
                "balance": account.credits if account.credits is not None else 0,
                "spent": account.credits_spent,
                "unlimited": account.credits is None,
            },
            "storage": {
                "used_bytes": account.storage_used_bytes,
                "limit_bytes": plan.storage_limit_bytes,
                "uploads": len(account.uploads),
                "outputs": account.outputs,
            },
            "jobs": counts,
        }
    )


@operation("createJob")
async def createJob(call: Call) -> Response:
    idempotency_header(call)
    backend = _backend(call)
    backend.check_endpoint(call.principal, call.body.get("webhook_endpoint_id"))

    def create(account: Account) -> JsonObject:
        # Not json_bytes(): caching every new job's bytes would cost ~0.7 kB per job.
        return backend.engine.create_job(account, call.body, _origin(call)).as_json()

    return _idempotent(call, "createJob", create)


@operation("listJobs")
async def listJobs(call: Call) -> Response:
    account = _account(call)
    q = call.query
    jobs, cursor = _backend(call).engine.list_jobs(
        account,
        listing_id=q.get("listing_id"),
        status=q.get("status"),
        limit=q.get("limit", JOBS_PAGE_DEFAULT),
        cursor=q.get("cursor"),
    )
    return json_response(
        {
            "object": "list",
            "data": [j.as_json() for j in jobs],
            "has_more": cursor is not None,
            "next_cursor": cursor,
        }
    )


@operation("getJob")
async def getJob(call: Call) -> Response:
    account = _account(call)
    job = _backend(call).engine.job(account, call.path["id"])
    return RawJSON(job.json_bytes())


@operation("regenerateJob")
async def regenerateJob(call: Call) -> Response:
    idempotency_header(call)
    backend = _backend(call)
    body = call.body or {}
    backend.check_endpoint(call.principal, body.get("webhook_endpoint_id"))

    def create(account: Account) -> JsonObject:
        return backend.engine.regenerate(account, call.path["id"], body, _origin(call)).as_json()

    return _idempotent(call, "regenerateJob", create)


@operation("createBatch")
async def createBatch(call: Call) -> Response:
    idempotency_header(call)
    backend = _backend(call)
    body = call.body
    backend.check_endpoint(call.principal, body.get("webhook_endpoint_id"))

    def create(account: Account) -> JsonObject:
        batch = backend.engine.create_batch(
            account, body["type"], dict(body.get("input") or {}), body["photos"],
            listing_id=body.get("listing_id"), metadata=body.get("metadata"),
            webhook_endpoint_id=body.get("webhook_endpoint_id"), base_url=_origin(call),
        )
        return batch_json(account, batch)

    return _idempotent(call, "createBatch", create)


@operation("getBatch")
async def getBatch(call: Call) -> Response:
    account = _account(call)
    batch = account.batches.get(call.path["id"])
    if batch is None:
        raise NotFound(f"no batch {call.path['id']!r} in this account", field="id")
    return json_response(batch_json(account, batch))


@operation("createWorkflow")
async def createWorkflow(call: Call) -> Response:
    idempotency_header(call)
    backend = _backend(call)
    backend.check_endpoint(call.principal, call.body.get("webhook_endpoint_id"))

    def create(account: Account) -> JsonObject:
        wf = backend.engine.create_workflow(account, call.body, _origin(call))
        return workflow_json(account, wf)

    return _idempotent(call, "createWorkflow", create)


@operation("getWorkflow")
async def getWorkflow(call: Call) -> Response:
    account = _account(call)
    wf = account.workflows.get(call.path["id"])
    if wf is None:
        raise NotFound(f"no workflow {call.path['id']!r} in this account", field="id")
    return json_response(workflow_json(account, wf))


@operation("createUpload")
async def createUpload(call: Call) -> Response:
    account = _account(call)
    upload = call.body["files"]["file"]
    data = await upload.read()
    result = _backend(call).engine.uploads.create(
        account, upload.filename or "", data, _origin(call)
    )
    return json_response(result.as_json(), 201)


