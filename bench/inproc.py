"""The app's own CPU cost of one request, without sockets: the ASGI app driven directly.

    .venv/bin/python bench/inproc.py [--requests N] [--profile]

Prints the CPU microseconds (``time.process_time``) per request of POST /api/v1/jobs,
GET /api/v1/jobs/{id} and GET /api/v1/capabilities (best of three runs, after 2,000 warm-up
jobs), with the GC policy of ``stagemock serve``. On a shared machine, where wrk's req/s moves
with everyone else's load, this is the steadiest measure of a change to the request path.
Another revision: run it from that checkout's folder with ``PYTHONPATH=<checkout>`` (the
``bench/ab.py`` worktrees). ``--profile`` prints cProfile's top functions of the POST.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import time
from typing import Any

from mock_server.app import create_app
from mock_server.settings import Settings

BODY = json.dumps({"type": "listing-tool", "input": {
    "image_url": "https://example.com/exterior.jpg", "listing_tool": "virtual-twilight"}}).encode()
HEADERS = [(b"host", b"127.0.0.1:8000"), (b"authorization", b"Bearer sk_test_bench"),
           (b"content-type", b"application/json")]


def _scope(method: str, path: str, body: bytes) -> dict[str, Any]:
    headers = list(HEADERS)
    if body:
        headers.append((b"content-length", str(len(body)).encode()))
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 5555), "server": ("127.0.0.1", 8000), "state": {}}


async def request(app: Any, method: str, path: str, body: bytes = b"") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    given = False

    async def receive() -> dict[str, Any]:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # a client that stays: never reached by these requests
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(_scope(method, path, body), receive, send)
    return sent


async def main(n: int, profile: bool) -> None:
    app = create_app(Settings(deterministic=True, manage_gc=True))
    ctx = app.state.ctx
    await ctx.start()
    try:
        first = await request(app, "POST", "/api/v1/jobs", BODY)
        job_id = json.loads(first[1]["body"])["id"]
        for _ in range(2000):
            await request(app, "POST", "/api/v1/jobs", BODY)
        loads = (("POST /api/v1/jobs", "POST", "/api/v1/jobs", BODY),
                 ("GET /api/v1/jobs/{id}", "GET", f"/api/v1/jobs/{job_id}", b""),
                 ("GET /api/v1/capabilities", "GET", "/api/v1/capabilities", b""))
        for label, method, path, body in loads:
            prof = cProfile.Profile() if profile and method == "POST" else None
            best = float("inf")
            for _ in range(3):
                if prof:
                    prof.enable()
                t = time.process_time()
                for _ in range(n):
                    await request(app, method, path, body)
                best = min(best, (time.process_time() - t) / n * 1e6)
                if prof:
                    prof.disable()
            print(f"{label:26} {best:6.1f} µs CPU a request", flush=True)
            if prof:
                pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    finally:
        await ctx.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=3000, help="per run (three runs each)")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    asyncio.run(main(args.requests, args.profile))
