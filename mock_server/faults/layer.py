"""Faults as one layer: the stage every API call passes through while a fault rule or the
rate limit is set (``spec.dispatch.Stage``; the dispatchers know nothing of faults).

``FaultLayer.around`` is its one entry. It matches the call against the rules (the book it
is, ``models.FaultBook``), lets the rate limit refuse it, hands a fired rule's call to its
action's entry (``actions.ACTIONS``: the answer the client gets), and journals what the
resilience report reads: the key, the ``Idempotency-Key``, the rule and its action, the
``Retry-After`` sent, what a 2xx answer created and what a lost answer was.

``armed`` (the book's) is the one check a call pays while nothing is set: the dispatcher
calls ``around`` only when it is true.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..http import header
from ..jsontypes import JsonObject
from . import responses as injected
from .actions import ACTIONS
from .models import RATE_LIMIT_ID, FaultBook, FaultRule, RateLimit

if TYPE_CHECKING:
    from ..core.clock import Clock
    from ..journal import JournalEntry
    from ..spec.binding import ApiBinding
    from ..spec.loader import Operation

#: The ``api`` whose injected errors are GCS's XML, not the binding's JSON envelope.
GCS = "gcs"


class Shot:
    """One API call a rule fired on, as an action's ``on_call`` sees it: ``answer()`` runs
    the operation (its answer's created id journaled), ``error()`` is the rule's injected
    error in the API's envelope, ``lost(status)`` journals the answer the client never got."""

    __slots__ = ("rule", "api", "binding", "entry", "_run")

    def __init__(self, rule: FaultRule, api: str, binding: ApiBinding,
                 entry: JournalEntry | None, run: Callable[[], Awaitable[Response]]) -> None:
        self.rule = rule
        self.api = api
        self.binding = binding
        self.entry = entry
        self._run = run

    async def answer(self) -> Response:
        return _created(self.binding, self.entry, await self._run())

    def error(self) -> Response:
        status = self.rule.error_status()
        return _injected(self.binding, self.api, self.entry, self.rule.id, status,
                         self.rule.retry_after_for(status))

    def lost(self, status: int) -> None:
        if self.entry is not None:
            self.entry.lost_status = status


class FaultLayer(FaultBook):
    """The server's fault rules and rate limit (the book), and the stage that applies them
    to API calls (``around``). Webhook deliveries meet the same rules in the hub
    (``webhooks.dispatcher``), which calls the fired rule's ``on_delivery``."""

    def __init__(self, seed: int, rate_limit: RateLimit | None, clock: Clock) -> None:
        super().__init__({}, seed, rate_limit, ACTIONS)
        self.clock = clock

    async def around(self, request: Request, op: Operation, binding: ApiBinding,
                     entry: JournalEntry | None,
                     run: Callable[[], Awaitable[Response]]) -> Response:
        """The answer to one API call while armed: a fired rule's action decides it, else
        the rate limit may refuse it, else ``run()`` answers as usual."""
        api = binding.fault_apis.get(op.operation_id, binding.spec.name)
        caller = binding.caller_key
        key = caller(op, request) if caller is not None else None
        if entry is not None:
            entry.idempotency_key = header(request, b"idempotency-key")
            entry.api_key = key
        rule = self.match(api, op.operation_id, key)
        if rule is None:
            limit = self.rate_limit
            if limit is not None and key is not None:
                wait = limit.take(key, self.clock.now(), time.monotonic())
                if wait is not None:
                    return _injected(binding, api, entry, RATE_LIMIT_ID, 429, wait)
            return _created(binding, entry, await run())
        if entry is not None:
            entry.fault, entry.fault_action = rule.id, rule.action
        behaviour = ACTIONS[rule.action].on_call
        assert behaviour is not None  # the schema lets only call actions name an API
        return await behaviour(Shot(rule, api, binding, entry, run))


def _injected(binding: ApiBinding, api: str, entry: JournalEntry | None,
              fault_id: str, status: int, retry_after: int | None) -> Response:
    """An injected error in the API's own envelope (GCS's XML for signed storage)."""
    if entry is not None:
        entry.fault, entry.retry_after = fault_id, retry_after
        entry.fault_action = entry.fault_action or "error"
    if api == GCS:
        return injected.gcs_error(fault_id, status, retry_after)
    return binding.error_response(injected.api_error(fault_id, status, retry_after))


def _created(binding: ApiBinding, entry: JournalEntry | None,
             response: Response) -> Response:
    """Note the id of what a 2xx answer to a POST or PUT created (the report names
    duplicates by it), read from the fields the API declares (``ApiBinding.created_ids``)."""
    if entry is None or not 200 <= response.status_code < 300:
        return response
    if entry.method not in ("POST", "PUT"):
        return response
    body = getattr(response, "body", None)
    if not body or not body.startswith(b"{"):
        return response
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return response
    if isinstance(data, dict):
        entry.created = created_id(data, binding.created_ids)
    return response


def created_id(data: JsonObject, fields: tuple[str, ...]) -> str | None:
    """The id a create's answer gives in the first of ``fields`` it has (``{"id": ...}``,
    ``{"batch_id": ...}``, Stager AI's ``{"success": true, "groupId": ...}``; one level of
    nesting under ``data``)."""
    for where in (data, data.get("data")):
        if isinstance(where, dict):
            for name in fields:
                value = where.get(name)
                if isinstance(value, str):
                    return value
    return None
