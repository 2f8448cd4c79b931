"""``stagemock proxy`` over real sockets: transparent in front of a stagemock (bytes, uploads
and images by sha256, SSE event by event, bounded memory), both verdicts journaled and
classified against a deviating upstream, secrets redacted, upstream failures in the API's
envelope."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import threading
import tracemalloc

import httpx

from mock_server.proxy.redact import fingerprint
from mock_server.resources import fixture_path
from tests.proxy import deviating
from tests.proxy.conftest import lifespan, proxying, serving
from tests.waiting import settled

JOB = {"type": "virtual-stage", "input": {"image_url": "https://x.test/room.jpg",
       "style": "modern", "room_type": "bedroom"}}
KEY = {"Authorization": "Bearer sk_test_proxy_transparent"}


def _journal(origin: str) -> list[dict]:
    return httpx.get(origin + "/__mock/journal").json()["entries"]


def test_bodies_uploads_and_images_pass_unchanged(mock_upstream):
    photo = fixture_path("photos", "interior.jpg").read_bytes()
    with proxying("stagepro", mock_upstream.url + "/api/v1") as (origin, _proxy), \
            httpx.Client(base_url=origin + "/api/v1", headers=KEY, timeout=30) as via, \
            httpx.Client(base_url=mock_upstream.url + "/api/v1", headers=KEY,
                         timeout=30) as direct:
        upload = via.post("/uploads", files={"file": ("room.jpg", photo, "image/jpeg")})
        assert upload.status_code == 201, upload.text
        blobs = mock_upstream.context.blobs
        stored = [k for k in blobs._blobs if blobs.get(k).data == photo]  # noqa: SLF001
        job = via.post("/jobs", json={"type": "virtual-stage", "input": {
            "upload_id": upload.json()["id"], "style": "modern", "room_type": "bedroom"}}).json()
        mock_upstream.advance(30)
        through, straight = via.get(f"/jobs/{job['id']}"), direct.get(f"/jobs/{job['id']}")
        assert through.content == straight.content  # byte for byte
        url = through.json()["output"]["images"][0]["url"]
        image_direct = httpx.get(url).content
        image_via = httpx.get(url.replace(mock_upstream.url, origin))
        assert hashlib.sha256(image_via.content).digest() == \
            hashlib.sha256(image_direct).digest()
        entries = _journal(origin)
    sent = next(e for e in entries if e["operation_id"] == "createUpload")
    assert sent["conformant"] and sent["response_conformant"], sent
    assert sent["request_size"] > len(photo)  # the multipart framing around the photo
    assert stored, "the upstream never stored the photo's exact bytes"
    [got_image] = [e for e in entries if e["path"].startswith("/files/")]
    assert got_image["response_sha256"] == hashlib.sha256(image_direct).hexdigest()


def test_an_upload_is_hashed_as_sent_and_arrives_byte_for_byte():
    received = hashlib.sha256()

    async def sink(scope, receive, send):
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        more = True
        while more:
            message = await receive()
            received.update(message.get("body", b""))
            more = message.get("more_body", False)
        data = json.dumps({"id": "upl_SINK000000000000000", "object": "upload"}).encode()
        await send({"type": "http.response.start", "status": 201,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": data})

    size, chunk = 20 * 1024 * 1024, 256 * 1024
    block = bytes(range(256)) * (chunk // 256)

    def stream():
        for _ in range(size // chunk):
            yield block

    sent = hashlib.sha256()
    for piece in stream():
        sent.update(piece)
    with serving(sink) as upstream, proxying("stagepro", upstream + "/api/v1") as (origin, _p):
        gc.collect()
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        r = httpx.post(origin + "/api/v1/uploads", content=stream(), timeout=60,
                       headers={**KEY, "Content-Type": "application/octet-stream",
                                "Content-Length": str(size)})
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        entry = _journal(origin)[-1]
    assert r.status_code == 201
    assert received.hexdigest() == sent.hexdigest() == entry["request_sha256"]
    assert entry["request_size"] == size
    assert peak - base < 4 * 1024 * 1024, f"the proxy held {peak - base} bytes of a 20 MiB upload"


def test_server_sent_events_go_out_as_the_upstream_sends_them():
    release = threading.Event()

    async def sse(scope, receive, send):
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        await receive()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")]})
        await send({"type": "http.response.body", "more_body": True,
                    "body": b'event: start\ndata: {"session_id":"ags_1","message_id":"msg_1"}\n\n'})
        await settled(release.is_set, 10, "the test's release of the stream")
        await send({"type": "http.response.body", "body": b'event: delta\ndata: {"text":"hi"}\n\n'})

    with serving(sse) as upstream, proxying("stagepro", upstream + "/api/v1") as (origin, _p):
        with httpx.stream("POST", origin + "/api/v1/agent/sessions/ags_1/messages", headers=KEY,
                          json={"content": "hello", "stream": True}, timeout=10) as r:
            lines = r.iter_lines()
            first = next(lines)
            assert first == "event: start"  # before the upstream has finished the stream
            release.set()
            rest = list(lines)
        assert "event: delta" in rest


def test_verdicts_name_the_clients_problems_and_classify_the_upstreams():
    with serving(deviating.app) as upstream, \
            proxying("stagepro", upstream + "/api/v1") as (origin, _p), \
            httpx.Client(base_url=origin + "/api/v1", headers=KEY, timeout=10) as api:
        api.post("/jobs", json={"type": "virtual-stage"})  # the client's mistake
        api.get("/jobs/job_DEVIATING0000000001")
        api.post("/jobs/job_DEVIATING0000000001/regenerate", json={})
        api.get("/usage")
        entries = {e["seq"]: e for e in _journal(origin)}
    bad_request = entries[1]
    assert not bad_request["conformant"]
    assert any(v["field"] == "input" for v in bad_request["violations"])
    # a status the operation does not declare: the spec does not cover it (issue 30)
    [teapot] = entries[2]["response_violations"]
    assert teapot["rule"] == "unspecified" and "418" in teapot["message"]
    [regen] = entries[3]["response_violations"]
    assert regen["rule"] == "unspecified" and "202" in regen["message"] \
        and "200" in regen["message"]
    usage = entries[4]["response_violations"]
    assert usage and all(v["rule"] == "guess" for v in usage)
    assert any("credits" in json.dumps(v) for v in usage)
    assert "the reference says /usage returns credits" in usage[0]["guess"]


def test_secrets_never_reach_the_journal_or_the_recording(tmp_path, mock_upstream):
    key = "sk_test_very_secret_key_123456"
    recording = tmp_path / "session.jsonl"
    with proxying("stagepro", mock_upstream.url + "/api/v1", record=recording) as (origin, _p):
        console = mock_upstream.console_session(key)
        hook = httpx.post(origin + "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x"},
                          cookies={"stagepro_session": console})
        assert hook.status_code == 201 and hook.json()["secret"].startswith("whsec_")
        httpx.get(origin + "/api/v1/usage", headers={"Authorization": f"Bearer {key}"})
        journal = json.dumps(_journal(origin))
    text = recording.read_text()
    for secret in (key, console, hook.json()["secret"]):
        assert secret not in text and secret not in journal
    assert "sk_test_" + fingerprint(key) in text and "whsec_<redacted>" in text


def test_an_unreachable_upstream_is_a_502_in_the_apis_envelope():
    with proxying("stagerai", "http://127.0.0.1:9") as (origin, _p):
        r = httpx.post(origin + "/api/projects", json={"title": "t"},
                       headers={"stager-api-key": "stager_test_x"})
        entry = _journal(origin)[-1]
    assert r.status_code == 502 and r.headers["x-stagemock-proxy"] == "upstream-error"
    body = r.json()
    assert body["success"] is False and body["error"]["code"] == "bad_gateway"
    assert "stagemock proxy" in body["error"]["message"]
    assert entry["status"] == 502 and "unreachable" in entry["error"]


def test_a_slow_upstream_is_a_504():
    async def slow(scope, receive, send):
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        # the slowness under test: longer than the proxy's 0.3 s timeout, bounded at 5 s
        await asyncio.sleep(5)

    with serving(slow) as upstream, \
            proxying("stagepro", upstream + "/api/v1", timeout=0.3) as (origin, _p):
        r = httpx.get(origin + "/api/v1/usage", headers=KEY, timeout=10)
    assert r.status_code == 504 and r.json()["error"]["code"] == "gateway_timeout"


def test_a_large_answer_is_relayed_in_bounded_memory():
    """20 MiB from the upstream, read by the client as it comes: the proxy reads ahead a few
    chunks at most (its queue waits for the client), never the whole body."""
    size, chunk = 20 * 1024 * 1024, 256 * 1024
    block = bytes(range(256)) * (chunk // 256)

    async def big(scope, receive, send):
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        await receive()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"image/jpeg"),
                                (b"content-length", str(size).encode())]})
        for _ in range(size // chunk):
            await send({"type": "http.response.body", "body": block, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    expected = hashlib.sha256(block * (size // chunk)).hexdigest()
    with serving(big) as upstream, proxying("stagepro", upstream + "/api/v1") as (origin, _p):
        gc.collect()
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        got = hashlib.sha256()
        with httpx.stream("GET", origin + "/files/big.jpg", timeout=60) as r:
            for piece in r.iter_raw(65536):
                got.update(piece)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        entry = _journal(origin)[-1]
    assert got.hexdigest() == expected == entry["response_sha256"]
    assert entry["response_size"] == size
    assert peak - base < 6 * 1024 * 1024, f"{peak - base} bytes held for a 20 MiB answer"
