"""The webhook hub: endpoint registry, verification challenge, signed deliveries over real
HTTP with retries on the mock's clock. Requests never wait for a delivery: attempts run as
background tasks; the clock's ticks start the ones that are due."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import orjson

from ..core.clock import iso
from ..errors import NotFound, ValidationFailed
from ..faults.actions import ACTIONS
from ..jsontypes import JsonObject
from ..outbound import AddressPolicy, Resolver
from ..settings import is_loopback
from .models import EVENTS, RETRY_SCHEDULE, Attempt, Delivery, Endpoint
from .signing import sign_header

if TYPE_CHECKING:
    from ..backend import Principal
    from ..context import AppContext
    from ..faults.models import FaultRule

USER_AGENT = "StagePro-Webhooks/1.0 (stagemock)"


class WebhookHub:
    """StagePro's webhook endpoints and signed deliveries: a component of the app (retries
    due on the clock's ticks; the StagePro backend publishes its events to it)."""

    name = "webhooks"

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.endpoints: dict[str, Endpoint] = {}
        self.deliveries: dict[str, Delivery] = {}
        self._client: httpx.AsyncClient | None = None
        #: how target names resolve off loopback (None: the system's; tests give a stub)
        self.resolver: Resolver | None = None

    # registry ---------------------------------------------------------------------------
    def create_endpoint(self, account_key: str, body: JsonObject) -> Endpoint:
        ids = self.ctx.ids
        endpoint = Endpoint(
            id=ids.new("we", account_key),
            account_key=account_key,
            url=body["url"],
            events=list(body.get("events") or EVENTS),
            description=body.get("description"),
            secrets=[("whsec_" + ids.token(account_key, "whsec", 32), None)],
            created_at=self.ctx.clock.now(),
        )
        self.endpoints[endpoint.id] = endpoint
        # The challenge is drawn now (not in the task) so ids stay deterministic.
        self.ctx.spawn(self.verify(endpoint, self.new_challenge(endpoint)))
        return endpoint

    def for_account(self, account_key: str) -> list[Endpoint]:
        return [e for e in self.endpoints.values() if e.account_key == account_key]

    def endpoint(self, endpoint_id: str) -> Endpoint:
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None:
            raise NotFound(f"no webhook endpoint {endpoint_id!r}", field="endpoint_id")
        return endpoint

    def validate(self, principal: Principal, endpoint_id: str) -> None:
        """A job/batch may name only an active endpoint of its own account (400 otherwise)."""
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None or endpoint.account_key != principal.account.key:
            raise ValidationFailed(
                f"unknown webhook endpoint {endpoint_id!r}", field="webhook_endpoint_id"
            )
        if endpoint.status != "active":
            raise ValidationFailed(
                f"webhook endpoint {endpoint_id} is {endpoint.status}; only active (verified) "
                "endpoints receive events",
                field="webhook_endpoint_id",
            )

    def rotate(self, endpoint_id: str, expires_in: float) -> Endpoint:
        endpoint = self.endpoint(endpoint_id)
        now = self.ctx.clock.now()
        endpoint.secrets = [(s, now + expires_in if exp is None else exp)
                            for s, exp in endpoint.secrets]
        endpoint.secrets.append(
            ("whsec_" + self.ctx.ids.token(endpoint.account_key, "whsec", 32), None)
        )
        return endpoint

    def reset(self, api_key: str | None) -> bool:
        known = bool(self.endpoints or self.deliveries)
        if api_key is None:
            self.endpoints.clear()
            self.deliveries.clear()
            return known
        endpoints = {k: e for k, e in self.endpoints.items() if e.account_key != api_key}
        deliveries = {k: d for k, d in self.deliveries.items() if d.account_key != api_key}
        known = len(endpoints) < len(self.endpoints) or len(deliveries) < len(self.deliveries)
        self.endpoints, self.deliveries = endpoints, deliveries
        return known

    # HTTP -------------------------------------------------------------------------------
    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.ctx.settings.webhook_timeout, follow_redirects=False
            )
        return self._client

    async def _post(self, url: str, content: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST to an endpoint. On loopback the target is free (a local receiver is the main
        use); a mock listening off loopback reaches only addresses the outbound policy allows
        (``outbound.py``), at the address it checked (the name kept for Host and TLS)."""
        settings = self.ctx.settings
        if is_loopback(settings.host):
            return await self._http().post(url, content=content, headers=headers)
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        policy = AddressPolicy.parse(settings.outbound_allow)
        address = await asyncio.to_thread(policy.pin, host, port, self.resolver)
        shown = f"[{address}]" if ":" in address else address
        pinned = parts._replace(netloc=f"{shown}:{port}").geturl()
        return await self._http().post(pinned, content=content,
                                       headers={**headers, "Host": parts.netloc},
                                       extensions={"sni_hostname": host})

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _headers(self, endpoint: Endpoint, body: bytes, event_id: str | None) -> dict[str, str]:
        now = self.ctx.clock.now()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-StagePro-Signature": sign_header(body, endpoint.active_secrets(now), int(now)),
        }
        if event_id:
            headers["X-StagePro-Event-Id"] = event_id
        return headers

    def new_challenge(self, endpoint: Endpoint) -> str:
        return "chal_" + self.ctx.ids.token(endpoint.account_key, "challenge", 32)

    async def verify(self, endpoint: Endpoint, challenge: str | None = None) -> Endpoint:
        """Send the verification challenge; the endpoint passes by echoing it (2xx JSON)."""
        challenge = challenge or self.new_challenge(endpoint)
        body = orjson.dumps({"type": "webhook.verification", "challenge": challenge})
        ok, status, excerpt, error = False, None, "", None
        try:
            r = await self._post(endpoint.url, content=body,
                                        headers=self._headers(endpoint, body, None))
            status, excerpt = r.status_code, r.text[:200]
            if not 200 <= r.status_code < 300:
                error = f"the endpoint answered HTTP {r.status_code}"
            else:
                reply = r.json()
                ok = isinstance(reply, dict) and reply.get("challenge") == challenge
                if not ok:
                    error = "the response did not echo the challenge as JSON {\"challenge\": ...}"
        except httpx.TimeoutException:
            error = f"timeout after {self.ctx.settings.webhook_timeout} s"
        except ValueError:
            error = "the response is not JSON"
        except Exception as exc:  # refused, bad URL, TLS...: recorded, never raised
            error = f"{type(exc).__name__}: {exc}"
        now = self.ctx.clock.now()
        endpoint.last_verification = {"at": iso(now), "status": status, "ok": ok,
                                      "response_excerpt": excerpt, "error": error}
        endpoint.verifications.append(endpoint.last_verification)
        if ok:
            endpoint.status, endpoint.verified_at = "active", now
        else:
            endpoint.status = "verification_failed"
        return endpoint

    # events -----------------------------------------------------------------------------
    def publish(self, api_key: str, event_type: str, obj: JsonObject,
                endpoint_id: str | None) -> Delivery | None:
        if endpoint_id is None:
            return None
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None or event_type not in endpoint.events:
            return None
        now = self.ctx.clock.now()
        event_id = self.ctx.ids.new("evt", api_key)
        body = orjson.dumps(
            {"id": event_id, "type": event_type, "created": int(now), "data": {"object": obj}}
        )
        delivery = Delivery(event_id, event_type, api_key, endpoint_id, body, now, now)
        self.deliveries[event_id] = delivery
        faults = self.ctx.faults
        rule = faults.match("webhooks", event_type, api_key) if faults.armed else None
        if rule is None:
            self.start(delivery)
            return delivery
        delivery.fault, delivery.fault_action = rule.id, rule.action
        behaviour = ACTIONS[rule.action].on_delivery
        assert behaviour is not None  # the schema lets only delivery actions name webhooks
        behaviour(self, rule, delivery)
        return delivery

    def release(self, rule: FaultRule) -> None:
        """Deliver what a reorder rule held, newest first, one after another."""
        held, rule.held = [d for d in reversed(rule.held) if d.state == "held"], []
        for delivery in held:
            delivery.state = "in_flight"

        async def in_order() -> None:
            for delivery in held:
                await self._attempt(delivery)

        try:
            self.ctx.spawn(in_order())
        except RuntimeError:  # no running loop (direct model use): due at the next tick
            for delivery in held:
                delivery.state, delivery.next_attempt_at = "pending", self.ctx.clock.now()

    def tick(self, now: float) -> None:
        for delivery in list(self.deliveries.values()):
            if (delivery.state == "pending" and delivery.next_attempt_at is not None
                    and delivery.next_attempt_at <= now):
                self.start(delivery)

    def redeliver(self, event_id: str) -> Delivery:
        delivery = self.deliveries.get(event_id)
        if delivery is None:
            raise NotFound(f"no event {event_id!r}", field="event_id")
        if delivery.state != "in_flight":
            delivery.state = "pending"
            delivery.next_attempt_at = self.ctx.clock.now()
            self.start(delivery)
        return delivery

    def start(self, delivery: Delivery) -> None:
        """Attempt ``delivery`` now, in the background."""
        delivery.state = "in_flight"
        try:
            self.ctx.spawn(self._attempt(delivery))
        except RuntimeError:  # no running loop (direct model use): stays due
            delivery.state = "pending"

    async def _attempt(self, delivery: Delivery) -> None:
        endpoint = self.endpoints.get(delivery.endpoint_id)
        at = self.ctx.clock.now()
        number = len(delivery.attempts) + 1
        status, ok, excerpt, error = None, False, "", None
        started = time.perf_counter()
        if endpoint is None:
            error = "the endpoint was deleted"
        elif endpoint.force_fail:
            error = "forced failure (control plane: force_fail)"
        else:
            try:
                r = await self._post(endpoint.url, content=delivery.body,
                                            headers=self._headers(endpoint, delivery.body,
                                                                  delivery.event_id))
                status, excerpt = r.status_code, r.text[:200]
                ok = 200 <= r.status_code < 300
            except httpx.TimeoutException:
                error = f"timeout after {self.ctx.settings.webhook_timeout} s"
            except asyncio.CancelledError:
                delivery.state = "pending"
                raise
            except Exception as exc:  # refused, reset, bad URL...: a failed attempt, retried
                error = f"{type(exc).__name__}: {exc}"
            if status is not None and not ok:
                error = f"the endpoint answered HTTP {status}"
        latency = (time.perf_counter() - started) * 1000
        delivery.attempts.append(Attempt(number, at, status, ok, latency, excerpt, error))
        if ok:
            delivery.state, delivery.next_attempt_at = "succeeded", None
        elif number - 1 < len(RETRY_SCHEDULE):
            delivery.state = "pending"
            delivery.next_attempt_at = at + RETRY_SCHEDULE[number - 1]
            if delivery.next_attempt_at <= self.ctx.clock.now():
                # the clock passed the retry while this attempt was in flight: no tick will
                # come for it, so start it now
                self.start(delivery)
        else:
            delivery.state, delivery.next_attempt_at = "failed", None

    def list(self, *, api_key: str | None = None, endpoint_id: str | None = None,
             event_id: str | None = None) -> list[Delivery]:
        return [
            d for d in self.deliveries.values()
            if (api_key is None or d.account_key == api_key)
            and (endpoint_id is None or d.endpoint_id == endpoint_id)
            and (event_id is None or d.event_id == event_id)
        ]
