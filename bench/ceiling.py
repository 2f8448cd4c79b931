"""The ceiling: a bare Starlette endpoint returning a job-sized JSON body (orjson), served by
uvicorn (uvloop, one worker) with its stock httptools protocol, as a plain Starlette app is.

    python bench/ceiling.py PORT [stagemock]

With ``stagemock`` the same app runs on the mock's own protocol (``mock_server.serving``):
what the protocol alone is worth, shown beside the ceiling by ``make bench``."""

from __future__ import annotations

import sys

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

JOB = {
    "id": "job_3kTMd9vQ2xZr8pLw1NcY", "object": "job", "type": "virtual-stage", "status": "queued",
    "input": {"image_url": "https://example.com/room.jpg", "style": "modern", "room_type": "living-room",
              "options": {"creativity": 3, "aspect_ratio": "16:9"}},
    "metadata": {"listing_id": "MLS-12345", "photo_index": 1}, "listing_id": "MLS-12345",
    "batch_id": None, "idempotency_key": None, "webhook_endpoint_id": None, "regenerated_from": None,
    "variation": 0, "livemode": False, "credits_charged": 0, "output": None, "error": None,
    "created_at": "2026-01-01T00:00:00Z", "started_at": None, "completed_at": None,
}


async def get_job(request: Request) -> Response:
    return Response(orjson.dumps(JOB), media_type="application/json")


async def post_job(request: Request) -> Response:
    orjson.loads(await request.body())
    return Response(orjson.dumps(JOB), status_code=202, media_type="application/json")


app = Starlette(routes=[Route("/job", get_job, methods=["GET"]), Route("/job", post_job, methods=["POST"])])

if __name__ == "__main__":
    http: object = "httptools"
    if sys.argv[2:] == ["stagemock"]:
        from mock_server.serving import HttpProtocol

        http = HttpProtocol
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http=http,
                log_level="error", access_log=False)
