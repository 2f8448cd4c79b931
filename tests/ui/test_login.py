"""Off loopback the dashboard asks for the control plane's token, then works with it."""

from __future__ import annotations

from typing import Any

import httpx

from mock_server.settings import Settings
from mock_server.testing import RunningServer


def test_the_dashboard_asks_for_the_token_and_works_with_it(page: Any) -> None:
    settings = Settings(host="0.0.0.0", deterministic=True, image_workers=0, admin_token="s3cret")
    with RunningServer(settings) as server:
        root = f"http://127.0.0.1:{server.port}"
        httpx.post(f"{root}/api/v1/jobs", headers={"Authorization": "Bearer sk_test_login"},
                   json={"type": "virtual-stage", "input": {
                       "image_url": "https://x.test/room.jpg", "style": "modern",
                       "room_type": "bedroom"}})
        assert httpx.get(f"{root}/__mock/accounts").status_code == 401
        page.goto(f"{root}/__mock/ui#/")
        form = page.locator("#login")
        form.wait_for(state="visible")
        assert "sk_test_" not in page.locator("#content").inner_text()
        page.fill("#login-token", "s3cret")
        page.click("#login button[type=submit]")
        page.locator("#content").get_by_text("sk_test_", exact=False).first.wait_for()
        assert form.is_hidden()
