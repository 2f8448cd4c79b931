"""A small upstream that claims to be StagePro but deviates: it answers statuses the spec
does not list (``GET /jobs/{id}`` answers 418; ``POST /jobs/{id}/regenerate`` answers 200
where the spec's guessed status is 202: both unspecified) and contradicts a guess of the mock
(``GET /usage`` leaves out ``credits``, a field of the guessed Usage shape). The rest answers
as the spec says."""

from __future__ import annotations

import json
from typing import Any

from tests.proxy.conftest import lifespan

JOB = {
    "id": "job_DEVIATING0000000001", "object": "job", "type": "virtual-stage",
    "status": "queued",
    "input": {"image_url": "https://x.test/room.jpg", "style": "modern", "room_type": "bedroom"},
    "metadata": {}, "listing_id": None, "batch_id": None, "idempotency_key": None,
    "webhook_endpoint_id": None, "regenerated_from": None, "variation": 0, "livemode": False,
    "credits_charged": 0, "output": None, "error": None,
    "created_at": "2026-01-01T00:00:00Z", "started_at": None, "completed_at": None,
}
USAGE = {
    "object": "usage", "livemode": False,
    "plan": {"name": "test", "max_parallel_jobs": 4, "storage_limit_bytes": 1000},
    "storage": {"used_bytes": 0, "limit_bytes": 1000},
    "jobs": {"queued": 0, "processing": 0, "completed": 0, "failed": 0},
}


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    method, path = scope["method"], scope["path"]
    status, body = 404, {"error": {"code": "not_found", "message": "no route", "field": None}}
    if method == "POST" and path == "/api/v1/jobs":
        status, body = 202, JOB
    elif method == "GET" and path.startswith("/api/v1/jobs/"):
        status, body = 418, {"error": {"code": "teapot", "message": "short and stout",
                                       "field": None}}
    elif method == "POST" and path.endswith("/regenerate"):
        status, body = 200, {**JOB, "id": "job_DEVIATING0000000002", "variation": 1,
                             "regenerated_from": JOB["id"]}
    elif method == "GET" and path == "/api/v1/usage":
        status, body = 200, USAGE
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})
