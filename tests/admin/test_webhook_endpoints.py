"""The control plane reads a webhook endpoint, with every verification attempt, without a
side effect (issue 18)."""

from __future__ import annotations

import httpx

from mock_server.testing import WebhookReceiver
from tests.waiting import wait_for


def _wait_status(http: httpx.Client, endpoint_id: str, status: str) -> dict:
    def reached() -> dict | None:  # the challenge is a real request in the background
        got = http.get(f"/__mock/webhooks/endpoints/{endpoint_id}").json()
        return got if got["status"] == status else None

    return wait_for(reached)


def test_an_endpoint_and_its_verification_attempts_read_without_side_effects(
    stagepro_mock, http
):
    rx = WebhookReceiver().start()
    try:
        with stagepro_mock.console() as console:
            created = console.post("/webhooks", json={"url": rx.url}).json()
        got = _wait_status(http, created["id"], "active")
        assert got["secret_masked"].startswith("whsec_…") and "secret" not in got
        assert len(got["verification_attempts"]) == 1
        first = got["verification_attempts"][0]
        assert first["ok"] is True and first["status"] == 200 and first["at"].endswith("Z")
        assert got["last_verification"] == first
        # reading twice changes nothing and sends nothing
        again = http.get(f"/__mock/webhooks/endpoints/{created['id']}").json()
        assert again == got and len(rx.challenges) == 1
        rx.echo_challenge = False
        http.post(f"/__mock/webhooks/endpoints/{created['id']}/verify")
        failed = _wait_status(http, created["id"], "verification_failed")
        assert [a["ok"] for a in failed["verification_attempts"]] == [True, False]
        assert "challenge" in failed["verification_attempts"][1]["error"]
    finally:
        rx.stop()


def test_an_unknown_endpoint_is_404(http):
    r = http.get("/__mock/webhooks/endpoints/we_nope")
    assert r.status_code == 404 and r.json()["error"]["field"] == "endpoint_id"
