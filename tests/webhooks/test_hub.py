"""The webhook hub in process (no mock server): retry schedule on the virtual clock, timeouts
and refused connections, and signature properties (Hypothesis)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.context import AppContext
from mock_server.settings import Settings
from mock_server.webhooks import SignatureVerificationError, verify_signature
from mock_server.webhooks.dispatcher import WebhookHub
from mock_server.webhooks.models import RETRY_SCHEDULE, Endpoint
from mock_server.webhooks.signing import sign_header
from tests.waiting import settled

KEY = "sk_test_hub"


def _hub(timeout: float = 10.0) -> tuple[AppContext, WebhookHub]:
    ctx = AppContext(Settings(deterministic=True, webhook_timeout=timeout, image_workers=0))
    hub = WebhookHub(ctx)
    ctx.add(hub)  # a component of the context: ticked with its clock
    return ctx, hub


def _endpoint(hub: WebhookHub, url: str, force_fail: bool = False) -> Endpoint:
    ep = Endpoint(id="we_1", account_key=KEY, url=url, events=["job.completed"],
                  description=None, secrets=[("whsec_test", None)],
                  created_at=hub.ctx.clock.now(), status="active", force_fail=force_fail)
    hub.endpoints[ep.id] = ep
    return ep


async def _settle(hub: WebhookHub, timeout: float = 5.0) -> None:
    """Wait (bounded) until no attempt is in flight."""
    await settled(lambda: all(d.state != "in_flight" for d in hub.deliveries.values()),
                  timeout, "no attempt in flight")


def test_every_retry_follows_the_schedule_then_the_event_fails() -> None:
    async def run() -> None:
        ctx, hub = _hub()
        _endpoint(hub, "http://127.0.0.1:9/never", force_fail=True)
        delivery = hub.publish(KEY, "job.completed", {"id": "job_1"}, "we_1")
        assert delivery is not None
        await _settle(hub)
        for wait in RETRY_SCHEDULE:
            assert delivery.state == "pending"
            ctx.clock.advance(wait - 1)
            await _settle(hub)
            assert len(delivery.attempts) == RETRY_SCHEDULE.index(wait) + 1  # not due yet
            ctx.clock.advance(1)
            await _settle(hub)
        assert delivery.state == "failed" and delivery.next_attempt_at is None
        times = [a.at for a in delivery.attempts]
        assert [b - a for a, b in zip(times, times[1:], strict=False)] == list(RETRY_SCHEDULE)
        assert all("forced failure" in (a.error or "") for a in delivery.attempts)
        # a later redelivery is still possible, with the same event id and body
        hub.endpoints["we_1"].force_fail = False
        assert hub.redeliver(delivery.event_id) is delivery
        await ctx.stop()

    asyncio.run(run())


def test_refused_connection_and_timeout_are_retried() -> None:
    async def run() -> None:
        ctx, hub = _hub(timeout=0.3)
        # a port that accepts connections but never answers: the attempt times out
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        refused_port = closed.getsockname()[1]
        closed.close()
        try:
            for url, expect in (
                (f"http://127.0.0.1:{silent.getsockname()[1]}/hook", "timeout"),
                (f"http://127.0.0.1:{refused_port}/hook", "Connect"),
            ):
                hub.reset(None)
                _endpoint(hub, url)
                delivery = hub.publish(KEY, "job.completed", {"id": "job_1"}, "we_1")
                # publishing never waits for the receiver: the attempt runs in the background
                assert delivery.state == "in_flight" and not delivery.attempts
                await _settle(hub)
                attempt = delivery.attempts[0]
                assert not attempt.ok and attempt.status is None and expect in attempt.error
                assert delivery.state == "pending"
                assert delivery.next_attempt_at == attempt.at + RETRY_SCHEDULE[0]
        finally:
            silent.close()
            await ctx.stop()

    asyncio.run(run())


def test_event_ids_and_bodies_are_deterministic() -> None:
    def once() -> list[bytes]:
        async def run() -> list[bytes]:
            ctx, hub = _hub()
            _endpoint(hub, "http://127.0.0.1:9/x", force_fail=True)
            out = [hub.publish(KEY, "job.completed", {"id": f"job_{i}"}, "we_1").body
                   for i in range(3)]
            await _settle(hub)
            await ctx.stop()
            return out

        return asyncio.run(run())

    first = once()
    assert first == once()
    events = [orjson.loads(b) for b in first]
    assert len({e["id"] for e in events}) == 3
    assert all(e["id"].startswith("evt_") and e["created"] == 1767225600 for e in events)


def test_unknown_endpoint_or_unsubscribed_event_is_not_queued() -> None:
    ctx, hub = _hub()
    _endpoint(hub, "http://127.0.0.1:9/x")
    assert hub.publish(KEY, "job.completed", {}, None) is None
    assert hub.publish(KEY, "job.completed", {}, "we_nope") is None
    assert hub.publish(KEY, "batch.completed", {}, "we_1") is None  # not subscribed
    assert hub.deliveries == {}


def _independent(secret: str, t: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()


@settings(max_examples=60, deadline=None)
@given(
    body=st.binary(max_size=200),
    secrets=st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=3, unique=True),
    t=st.integers(min_value=0, max_value=2**33),
    skew=st.integers(min_value=-300, max_value=300),
)
def test_signature_verifies_with_each_active_secret(body, secrets, t, skew) -> None:
    header = sign_header(body, secrets, t)
    assert header.startswith(f"t={t},") and header.count("v1=") == len(secrets)
    for secret in secrets:
        assert f"v1={_independent(secret, t, body)}" in header
        assert verify_signature(body, header, secret, tolerance=300, now=t + skew)
    with pytest.raises(SignatureVerificationError):
        verify_signature(body, header, "whsec_" + "".join(secrets), now=t)
    with pytest.raises(SignatureVerificationError):
        verify_signature(body + b"x", header, secrets[0], now=t)
    with pytest.raises(SignatureVerificationError, match="tolerance"):
        verify_signature(body, header, secrets[0], tolerance=300, now=t + 301)


@pytest.mark.parametrize("forged", ["é" * 64, "\u2603", "\udcff" * 8])
def test_a_non_ascii_signature_does_not_match_rather_than_crash(forged) -> None:
    """``hmac.compare_digest`` raises TypeError on a non-ASCII ``str``: a forged ``v1=`` like
    that must be the ordinary "no v1 signature matches", not an exception of another type."""
    with pytest.raises(SignatureVerificationError, match="no v1 signature"):
        verify_signature(b"{}", f"t=10,v1={forged}", "whsec_x", now=10)


def _accepted(listener: socket.socket) -> socket.socket | None:
    """A connection the (non-blocking) listener has received, else ``None``."""
    try:
        return listener.accept()[0]
    except BlockingIOError:
        return None


def test_a_retry_the_clock_passed_during_the_attempt_starts_when_it_ends() -> None:
    async def run() -> None:
        ctx, hub = _hub(timeout=0.3)
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        try:
            _endpoint(hub, f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
            delivery = hub.publish(KEY, "job.completed", {"id": "job_1"}, "we_1")
            # the attempt has started (its time read) once the receiver holds its connection
            silent.setblocking(False)
            held = await settled(lambda: _accepted(silent), what="the attempt's connection")
            assert delivery.state == "in_flight"
            ctx.clock.advance(RETRY_SCHEDULE[0])  # the tick sees it in flight: not restarted
            await settled(lambda: len(delivery.attempts) >= 2, what="the passed retry started")
            assert delivery.attempts[1].at - delivery.attempts[0].at == RETRY_SCHEDULE[0]
            held.close()
        finally:
            silent.close()
            await ctx.stop()

    asyncio.run(run())
