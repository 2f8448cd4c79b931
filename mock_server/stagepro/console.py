"""StagePro developer-console handlers (session-cookie auth): API keys and webhook endpoints.

Keys: a key created in the account's own mode joins the account (shares credits, jobs and
webhooks); a key of the other mode gets an account of its own (a live key from a test
account starts with 0 credits on the default live plan). Revocation: ``PATCH
/__mock/accounts/{api_key} {"revoked": true}`` — the key answers 401 at once."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.responses import Response

from ..core.clock import iso
from ..errors import ValidationFailed
from ..http import json_response
from ..jsontypes import JsonObject
from ..spec.binding import Call
from . import operation
from .models import KeyRecord

if TYPE_CHECKING:
    from .backend import StageProBackend


def _mask(secret: str) -> str:
    prefix = "sk_live_" if secret.startswith("sk_live_") else "sk_test_"
    return f"{prefix}…{secret[-4:]}"


def _key_id(record: KeyRecord) -> str:
    if not record.id:
        digest = hashlib.blake2b(record.secret.encode(), digest_size=10).hexdigest()
        record.id = f"key_{digest}"
    return record.id


def _key_json(record: KeyRecord, with_secret: bool = False) -> JsonObject:
    out = {
        "id": _key_id(record),
        "object": "api_key",
        "name": record.name or "default",
        "mode": record.mode,
        "masked": _mask(record.secret),
        "status": "revoked" if record.revoked else "active",
        "created_at": iso(record.created_at),
        "revoked_at": iso(record.revoked_at) if record.revoked_at else None,
    }
    if with_secret:
        out["secret"] = record.secret
    return out


def _backend(call: Call) -> StageProBackend:
    return call.context.stagepro


@operation("listKeys")
async def listKeys(call: Call) -> Response:
    account = call.principal.account
    records = [r for r in _backend(call).state.keys.values() if r.account is account]
    return json_response({"object": "list", "data": [_key_json(r) for r in records]})


@operation("createKey")
async def createKey(call: Call) -> Response:
    backend = _backend(call)
    ctx = call.context
    account = call.principal.account
    mode = call.body.get("mode", "live")
    secret = f"sk_{mode}_" + ctx.ids.token(account.key, "api-key", 32)
    if (mode == "live") == account.livemode:
        record = KeyRecord(secret=secret, account=account)
        backend.state.keys[secret] = record
    else:
        record = backend.state.new_account(secret, {"credits": 0})
    record.name = call.body["name"]
    record.created_at = ctx.clock.now()
    record.id = ctx.ids.new("key", account.key)
    return json_response(_key_json(record, with_secret=True), 201)


@operation("listWebhooks")
async def listWebhooks(call: Call) -> Response:
    hub = _backend(call).webhooks
    endpoints = hub.for_account(call.principal.account.key)
    return json_response({"object": "list", "data": [e.as_json() for e in endpoints]})


@operation("createWebhook")
async def createWebhook(call: Call) -> Response:
    hub = _backend(call).webhooks
    url = urlsplit(call.body["url"])
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValidationFailed(
            "the endpoint url must be an absolute http:// or https:// URL with a host",
            field="url",
        )
    endpoint = hub.create_endpoint(call.principal.account.key, call.body)
    return json_response(endpoint.as_json(with_secret=True), 201)


