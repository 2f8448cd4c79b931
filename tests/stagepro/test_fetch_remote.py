"""--fetch-remote: input images are downloaded for real (here from a loopback server)."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import httpx

from mock_server import Settings
from mock_server.testing import RunningServer

PHOTOS = Path(__file__).resolve().parents[2] / "fixtures" / "photos"


def _outputs(fetch_remote: bool, url: str, allow: tuple[str, ...] = ("127.0.0.1",)) -> bytes:
    settings = Settings(deterministic=True, fetch_remote=fetch_remote, outbound_allow=allow)
    with RunningServer(settings) as server:
        c = httpx.Client(base_url=server.url + "/api/v1", headers={"Authorization": "Bearer sk_test_fetch"})
        job = c.post("/jobs", json={"type": "edit", "input": {"image_url": url}}).json()
        server.advance(10)
        done = c.get(f"/jobs/{job['id']}").json()
        return httpx.get(done["output"]["images"][0]["url"]).content


def test_fetch_remote_uses_the_real_image():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(PHOTOS))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/pool.jpg"
        synthetic = _outputs(False, url)
        assert _outputs(True, url) != synthetic
        # loopback is refused unless --allow-outbound lists it: the synthetic photo instead
        assert _outputs(True, url, allow=()) == synthetic
    finally:
        httpd.shutdown()
