"""Fault rules and the per-key rate limit: pure state (no Starlette, no I/O).

A rule says which calls it matches (``api``, optionally ``operation`` and ``api_key``), how
many of them it lets through first (``after``), how many it fails (``times``; ``None``: until
deleted) and with what chance (``probability``, drawn from the rule's own generator, seeded
from the server's seed and the rule's id, so two deterministic runs inject on the same calls
whatever other rules or keys do). Rules are consulted in the order they were created; the
first that fires wins and the later ones do not see the call.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import NotFound, ValidationFailed
from ..jsontypes import Json, JsonObject

if TYPE_CHECKING:
    from ..webhooks.models import Delivery

#: ``retry_after`` sent by default with these statuses (when the rule gives none): seconds.
DEFAULT_RETRY_AFTER = {429: 1, 503: 1}
#: The fields of a rule (``openapi/admin.yaml``'s ``FaultInput``): the ``--fault`` form's keys.
FIELDS = ("api", "operation", "api_key", "action", "status", "retry_after", "delay_ms",
          "delay_seconds", "after", "times", "probability", "lost_as")
#: ``journal`` and the report name the rate limit with this in place of a rule id.
RATE_LIMIT_ID = "rate_limit"
#: The ``api`` of webhook deliveries; every other ``api`` is one of API calls.
WEBHOOKS = "webhooks"


@dataclass(frozen=True)
class ActionTerms:
    """What the book needs of an action (the pure part of an entry of ``faults.actions``):
    where it applies, with the fields it defaults there (``calls``: the APIs' calls;
    ``webhooks``: StagePro's deliveries; ``None``: not there), and the status it answers
    when the rule gives none (``None``: it answers no status of its own)."""

    name: str
    calls: Mapping[str, Json] | None = None
    webhooks: Mapping[str, Json] | None = None
    status: int | None = None

    def defaults(self, api: str) -> Mapping[str, Json] | None:
        return self.webhooks if api == WEBHOOKS else self.calls


@dataclass
class FaultRule:
    id: str
    api: str
    action: str
    #: The action's entry (``faults.actions``): its default status, where it applies.
    terms: ActionTerms = field(repr=False)
    operation: str | None = None
    api_key: str | None = None
    status: int | None = None
    retry_after: int | None = None
    delay_ms: int | None = None
    delay_seconds: float | None = None
    after: int = 0
    times: int | None = 1
    probability: float = 1.0
    #: ``lose_response`` only: answer the client with ``status`` (``"error"``) or drop the
    #: connection (``"reset"``) once the operation has run.
    lost_as: str = "error"
    #: Matching calls seen (the ones let through by ``after`` or by chance included).
    seen: int = 0
    #: Calls (or deliveries) this rule changed.
    hits: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)
    #: ``reorder``: the deliveries held so far (released newest first).
    held: list[Delivery] = field(default_factory=list, repr=False)

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else max(0, self.times - self.hits)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, api: str, operation: str | None, api_key: str | None) -> bool:
        return (
            self.api == api
            and (self.operation is None or self.operation == operation)
            and (self.api_key is None or self.api_key == api_key)
        )

    def fires(self) -> bool:
        """Count one matching call and say whether this rule changes it."""
        if self.exhausted:
            return False
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.probability < 1.0 and self.rng.random() >= self.probability:
            return False
        self.hits += 1
        return True

    def error_status(self) -> int:
        """The status an injected error answers: the rule's, else its action's."""
        if self.status is not None:
            return self.status
        return self.terms.status if self.terms.status is not None else 503

    def retry_after_for(self, status: int) -> int | None:
        if self.retry_after is not None:
            return self.retry_after
        return DEFAULT_RETRY_AFTER.get(status)

    def describe(self) -> str:
        """One line for ``stagemock serve``'s banner: where it applies and what it does, so
        a mistyped scope shows before the first request."""
        what = [self.action]
        if self.lost_as == "reset":
            what.append("lost as a reset")
        elif self.terms.status is not None:
            what.append(f"status {self.error_status()}")
        if self.retry_after is not None:
            what.append(f"Retry-After {self.retry_after}")
        if self.delay_ms is not None:
            what.append(f"{self.delay_ms} ms")
        if self.delay_seconds is not None:
            what.append(f"{self.delay_seconds:g} s of the mock's clock")
        when = ["every time" if self.times is None else f"{self.times} time"
                + ("s" if self.times != 1 else "")]
        if self.after:
            when.append(f"after {self.after}")
        if self.probability < 1.0:
            when.append(f"probability {self.probability:g}")
        when.append(f"key {self.api_key}" if self.api_key else "any key")
        scope = f"{self.api}:{self.operation or '*'}"
        return f"{self.id}  {scope}  {', '.join(what)}  ({', '.join(when)})"

    def as_json(self) -> JsonObject:
        return {
            "id": self.id,
            "api": self.api,
            "operation": self.operation,
            "api_key": self.api_key,
            "action": self.action,
            "status": self.status,
            "retry_after": self.retry_after,
            "delay_ms": self.delay_ms,
            "delay_seconds": self.delay_seconds,
            "after": self.after,
            "times": self.times,
            "probability": self.probability,
            "lost_as": self.lost_as,
            "seen": self.seen,
            "hits": self.hits,
            "remaining": self.remaining,
            "held": len(self.held),
        }


def _whole(value: Json) -> int | None:
    """An integer field (JSON's ``3.0`` is an integer to the schema too)."""
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _number(value: Json) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(value: Json) -> str | None:
    return value if isinstance(value, str) else None


class FaultBook:
    """Every rule of one server, and the optional rate limit. ``armed`` is the one cheap
    check a request pays when neither is set."""

    def __init__(self, operations: dict[str, set[str]], seed: int,
                 rate_limit: RateLimit | None = None,
                 actions: Mapping[str, ActionTerms] | None = None) -> None:
        #: api → the names ``operation`` may take (operationIds; event types for webhooks)
        self.operations = operations
        self.seed = seed
        #: action name → its terms (``faults.actions.ACTIONS``, given by the faults layer)
        self.actions: Mapping[str, ActionTerms] = actions or {}
        self.rules: list[FaultRule] = []
        self.rate_limit = rate_limit
        self.armed = rate_limit is not None

    def _rearm(self) -> None:
        self.armed = bool(self.rules) or self.rate_limit is not None

    # the resource ------------------------------------------------------------------------
    def add(self, rule_id: str, body: JsonObject) -> FaultRule:
        """A rule from a body that ``openapi/admin.yaml``'s ``FaultInput`` has passed
        (``faults.validation.RuleSchema.check``: every surface's rules go through it, so
        types, ranges and which action and operation fit which ``api`` are the schema's).

        What is left here is what the schema does not hold: the ``operation`` is one of
        that API as the specs served now have it (``learn_operations``), and the action is
        one of the book's ``actions`` that applies there (``FaultInput``'s lists are kept
        equal to both by tests, so these two refusals are last guards for a rule added
        without the schema); then the action's defaults (``ActionTerms``: a ``delay``'s
        length, a ``reorder``'s count)."""
        api, action = body["api"], body["action"]
        terms = self.actions.get(action)
        defaults = terms.defaults(api) if terms is not None else None
        if terms is None or defaults is None:
            raise ValidationFailed(f"action {action!r} does not apply to {api}",
                                   field="action")
        operation = body.get("operation")
        if operation is not None and operation not in self.operations.get(api, set()):
            known = ", ".join(sorted(self.operations.get(api, set())))
            what = "event type" if api == WEBHOOKS else "operationId"
            raise ValidationFailed(
                f"{api} has no {what} {operation!r}; known: {known}", field="operation"
            )
        given: JsonObject = {**defaults, **{k: v for k, v in body.items() if k in FIELDS}}
        probability = _number(given.get("probability"))
        rule = FaultRule(
            id=rule_id,
            api=api,
            action=action,
            terms=terms,
            operation=operation,
            api_key=_text(given.get("api_key")),
            status=_whole(given.get("status")),
            retry_after=_whole(given.get("retry_after")),
            delay_ms=_whole(given.get("delay_ms")),
            delay_seconds=_number(given.get("delay_seconds")),
            after=_whole(given.get("after")) or 0,
            times=_whole(given["times"]) if "times" in given else 1,
            probability=1.0 if probability is None else probability,
            lost_as=_text(given.get("lost_as")) or "error",
            rng=random.Random(f"{self.seed}:{rule_id}"),
        )
        self.rules.append(rule)
        self.armed = True
        return rule

    def get(self, rule_id: str) -> FaultRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise NotFound(f"no fault rule {rule_id!r}", field="id")

    def remove(self, rule_id: str) -> FaultRule:
        rule = self.get(rule_id)
        self.rules.remove(rule)
        self._rearm()
        return rule

    def clear(self, api_key: str | None = None) -> list[FaultRule]:
        """Remove every rule (or one key's); returns them (a reorder may hold deliveries)."""
        if api_key is None:
            gone, self.rules = self.rules, []
            if self.rate_limit is not None:
                self.rate_limit.buckets.clear()
        else:
            gone = [r for r in self.rules if r.api_key == api_key]
            self.rules = [r for r in self.rules if r.api_key != api_key]
            if self.rate_limit is not None:
                self.rate_limit.buckets.pop(api_key, None)
        self._rearm()
        return gone

    def listing(self, api_key: str | None = None) -> list[FaultRule]:
        return [r for r in self.rules if api_key is None or r.api_key == api_key]

    # matching ------------------------------------------------------------------------------
    def match(self, api: str, operation: str | None, api_key: str | None) -> FaultRule | None:
        """The rule that changes this call (counted), or ``None``."""
        for rule in self.rules:
            if rule.matches(api, operation, api_key) and rule.fires():
                return rule
        return None


# the rate limit ------------------------------------------------------------------------------

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute)\s*$")


@dataclass
class RateLimit:
    """``--rate-limit N/s``: a token bucket per key (``burst`` tokens, refilled at
    ``per_second``). The vendors' references state no rate limit: this is the mock's own, off
    by default.

    It refills with wall time, because the ``Retry-After`` it answers is a promise in wall
    seconds: a client that waits it out must be served, even with ``--deterministic``, where
    the mock's clock stands still. Advancing the mock's clock refills it too (a test skipping
    the wait): each bucket counts whichever of the two moved further since its last request."""

    per_second: float
    burst: float
    text: str
    #: per key: (tokens, the mock's clock, the wall's monotonic seconds) at its last request
    buckets: dict[str, tuple[float, float, float]] = field(default_factory=dict)

    def describe(self) -> str:
        """One line for ``stagemock serve``'s banner."""
        return (f"{self.text} per key (a bucket of {self.burst:g}; past it, 429 with "
                "Retry-After)")

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        m = _RATE.match(text)
        if m is None or float(m.group(1)) <= 0:
            raise ValueError(
                f"--rate-limit {text!r}: write it as N/s or N/min with N > 0 (e.g. 10/s)"
            )
        n = float(m.group(1))
        per_second = n if m.group(2).startswith("s") else n / 60
        return cls(per_second=per_second, burst=max(1.0, n), text=text.strip())

    def take(self, api_key: str, now: float, wall: float | None = None) -> int | None:
        """Spend one token of ``api_key``'s bucket: ``None`` if there was one, else the whole
        seconds until there is (the ``Retry-After``). ``now`` is the mock's clock, ``wall``
        the wall's monotonic seconds (``None``: only the mock's clock counts)."""
        wall_now = now if wall is None else wall
        tokens, last, last_wall = self.buckets.get(api_key, (self.burst, now, wall_now))
        elapsed = max(0.0, now - last, wall_now - last_wall)
        tokens = min(self.burst, tokens + elapsed * self.per_second)
        if tokens >= 1.0:
            self.buckets[api_key] = (tokens - 1.0, now, wall_now)
            return None
        self.buckets[api_key] = (tokens, now, wall_now)
        return max(1, math.ceil((1.0 - tokens) / self.per_second))


# ``stagemock serve --fault SPEC`` ------------------------------------------------------------


def parse_spec(text: str) -> JsonObject:
    """The compact form of a rule: ``API[:OPERATION]:ACTION[,key=value...]``.

    ``stagepro:createJob:lose_response``, ``stagepro:error,status=429,retry_after=2,times=3``,
    ``webhooks:job.completed:duplicate,times=null``, ``gcs:putSignedUpload:reset``. Values
    are integers, numbers, ``null`` (also ``forever`` for ``times``) or words."""
    head, _, rest = text.strip().partition(",")
    parts = head.split(":")
    if len(parts) == 2:
        (api, action), operation = parts, None
    elif len(parts) == 3:
        api, operation, action = parts
    else:
        raise ValueError(
            f"--fault {text!r}: write API[:OPERATION]:ACTION[,key=value...], e.g. "
            "stagepro:createJob:error,status=503"
        )
    body: JsonObject = {"api": api.strip(), "action": action.strip()}
    if operation:
        body["operation"] = operation.strip()
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise ValueError(f"--fault {text!r}: {item!r} is not key=value")
        if key not in FIELDS or key in ("api", "action", "operation"):
            raise ValueError(
                f"--fault {text!r}: unknown key {key!r}; known: "
                + ", ".join(f for f in FIELDS if f not in ("api", "action", "operation"))
            )
        body[key] = _value(raw.strip())
    return body


def _value(raw: str) -> int | float | str | None:
    if raw.lower() in ("null", "none", "forever"):
        return None
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw
