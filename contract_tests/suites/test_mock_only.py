"""Mock-only suites (need the /__mock/ control plane): webhooks end to end with a real
receiver and an independent signature check; they are skipped, with the reason, elsewhere."""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx

from contract_tests.checks import check


def _valid(body: bytes, header: str, secret: str) -> bool:
    t = next(p[2:] for p in header.split(",") if p.startswith("t="))
    expected = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(p == f"v1={expected}" for p in header.split(","))


@check("webhook_signature", api="stagepro")
def test_stagepro_webhook_delivery_is_signed(target, client, control_plane):
    from mock_server.testing import WebhookReceiver

    receiver = WebhookReceiver().start()
    try:
        token = control_plane.console_session(target.api_key)
        console = httpx.Client(base_url=target.base_url, cookies={"stagepro_session": token}, timeout=30)
        ep = console.post("/webhooks", json={"url": receiver.url}).json()
        deadline = time.monotonic() + 10
        while console.get("/webhooks").json()["data"][-1]["status"] != "active":
            assert time.monotonic() < deadline, "the webhook endpoint never became active"
            time.sleep(0.05)
        challenge = receiver.challenges[0]
        assert _valid(challenge["body"], challenge["headers"]["x-stagepro-signature"], ep["secret"]), \
            "bad webhook signature on the verification challenge"
        job = client.post("/jobs", json={"type": "edit", "input": {"image_url": "https://example.com/a.jpg"},
                                         "webhook_endpoint_id": ep["id"]}).json()
        control_plane.advance(30)
        got = receiver.wait_for(1)[0]
        assert got["json"]["data"]["object"]["id"] == job["id"]
        assert got["headers"]["x-stagepro-event-id"] == got["json"]["id"], "event id header differs from the body"
        assert _valid(got["body"], got["headers"]["x-stagepro-signature"], ep["secret"]), \
            "bad webhook signature on job.completed"
    finally:
        receiver.stop()
