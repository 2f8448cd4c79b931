"""``stagemock webhook-receiver``: a receiver for shell users, run as a real process. It answers
the verification challenge (the endpoint becomes active) and prints one JSON line per request,
signature and event id included."""

from __future__ import annotations

import json
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mock_server import verify_signature

ROOT = Path(__file__).resolve().parents[2]
JOB = {"type": "listing-tool", "input": {"image_url": "https://example.com/exterior.jpg",
                                         "listing_tool": "virtual-twilight"}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def receiver():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "webhook-receiver", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        ready = proc.stderr.readline()  # its one line, once it listens
        assert f"listening on http://127.0.0.1:{port}/" in ready, ready
        yield port, lines
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def _next(lines: queue.Queue[str]) -> dict:
    return json.loads(lines.get(timeout=10))


def test_answers_the_challenge_and_prints_each_delivery(receiver, stagepro_mock):
    port, lines = receiver
    console = stagepro_mock.console()
    ep = console.post("/webhooks", json={"url": f"http://127.0.0.1:{port}/hook"}).json()
    challenge = _next(lines)
    assert challenge["challenge"] is True and challenge["path"] == "/hook"
    assert challenge["body"]["type"] == "webhook.verification" and challenge["status"] == 200
    stagepro_mock.wait_for_webhook(ep["id"])  # the challenge's answer arrives in real time
    job = stagepro_mock.client().post(
        "/jobs", json=dict(JOB, webhook_endpoint_id=ep["id"])).json()
    stagepro_mock.advance(60)
    delivery = _next(lines)
    assert delivery["challenge"] is False and delivery["status"] == 200
    assert delivery["body"]["type"] == "job.completed"
    assert delivery["body"]["data"]["object"]["id"] == job["id"]
    assert delivery["event_id"] == delivery["body"]["id"]
    raw = json.dumps(delivery["body"], separators=(",", ":")).encode()
    now = stagepro_mock.advance(0)["unix"]
    assert verify_signature(raw, delivery["signature"], ep["secret"], now=now)


def test_a_taken_port_is_one_line_and_exit_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        t0 = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "mock_server", "webhook-receiver", "--port", str(port)],
            cwd=ROOT, capture_output=True, text=True, timeout=30,
        )
    assert done.returncode == 2 and time.monotonic() - t0 < 20
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert done.stdout == ""
