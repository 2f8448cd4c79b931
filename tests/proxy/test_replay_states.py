"""States in order: a polling client, recorded by ``serve --record`` and through the proxy at
once, replays against a fresh mock and drifts with 0 differences (each recorded ``queued`` /
``processing`` / ``completed`` poll is compared with the same state); a state the server never
reaches is compared as it stands, and the difference says so."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server.proxy import record
from mock_server.proxy.drift import measure
from mock_server.proxy.replay import Replayer
from mock_server.proxy.shapes import SchemaWalker
from mock_server.proxy.states import AHEAD, BEHIND, FINAL, SAME, order, standing
from mock_server.resources import data_dir
from mock_server.settings import Settings
from mock_server.spec.loader import load_spec
from mock_server.testing import RunningServer
from tests.proxy.conftest import lifespan, proxying, serving
from tests.proxy.test_replay import JOB


def _walker(api: str) -> tuple[SchemaWalker, dict[str, Any]]:
    spec = load_spec(api, data_dir("openapi") / f"{api}.yaml", "")
    return SchemaWalker(spec.document), spec.document


def test_the_order_of_states_is_the_specs():
    walker, doc = _walker("stagepro")
    assert order(walker, {"$ref": "#/components/schemas/Job"}) == [
        "queued", "processing", "completed", "failed"]
    walker, doc = _walker("stagerai")
    assert order(walker, {"$ref": "#/components/schemas/HdrImageGroupStatus"}) == [
        "pending", "processing", "completed", "failed"]
    states = ["queued", "processing", "completed", "failed"]
    recorded = {"status": "processing"}
    assert standing(states, recorded, {"status": "queued"}) == BEHIND  # wait for it
    assert standing(states, recorded, {"status": "processing"}) == SAME
    assert standing(states, recorded, {"status": "completed"}) == AHEAD  # never compared
    assert standing(states, {"status": "failed"}, {"status": "completed"}) == FINAL


def _poll(base: str, key: str, every: float, bound: float = 40.0) -> list[str]:
    """An ordinary client: create a job, then poll it every ``every`` seconds (wall clock)
    until it ends."""
    with httpx.Client(base_url=base, timeout=30,
                      headers={"Authorization": f"Bearer {key}"}) as api:
        job = api.post("/jobs", json=JOB).json()
        states = [job["status"]]
        deadline = time.monotonic() + bound
        while states[-1] not in ("completed", "failed") and time.monotonic() < deadline:
            time.sleep(every)  # the client's polling interval is what is under test
            states.append(api.get(f"/jobs/{job['id']}").json()["status"])
    return states


@pytest.mark.parametrize(("every", "job_seconds"), [(0.5, 2.0), (3.0, 4.0)],
                         ids=["every-0.5s", "every-3s"])
def test_a_polling_client_replays_and_drifts_with_no_difference(tmp_path, every, job_seconds):
    served, proxied = tmp_path / "serve.jsonl", tmp_path / "proxy.jsonl"
    with RunningServer(Settings(job_seconds=job_seconds, image_workers=0,
                                record=str(served))) as mock, \
            proxying("stagepro", mock.url + "/api/v1", record=proxied) as (origin, _p):
        states = _poll(origin + "/api/v1", "sk_test_poller", every)
    assert states[0] == "queued" and "processing" in states and states[-1] == "completed"
    for path in (served, proxied):
        recorded = [(e["response"]["body"]["json"]["status"]) for e in record.load(path)[1]]
        assert recorded == states  # what the replay has to meet, state by state
        with RunningServer(Settings(deterministic=True, image_workers=0)) as fresh:
            outcome = Replayer(path, fresh.url, "sk_test_fresh").run()
        assert outcome.replayed == len(states)
        assert outcome.differences == [], [d.as_json() for d in outcome.differences]
        assert not [n for n in outcome.notes if "not compared" in n], outcome.notes
        drift, _replayer, _origin = measure(str(path))
        assert drift.replayed == len(states)
        assert drift.differences == [], [d.as_json() for d in drift.differences]


def _stuck(recorded_job: dict[str, Any]) -> Any:
    """A server whose job never leaves ``queued``."""
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        body = json.dumps({**recorded_job, "status": "queued", "started_at": None}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
    return app


def test_a_state_never_reached_is_compared_as_it_stands_and_says_so(tmp_path: Path):
    path = tmp_path / "processing.jsonl"
    with RunningServer(Settings(deterministic=True, image_workers=0,
                                record=str(path))) as mock, \
            httpx.Client(base_url=mock.url + "/api/v1",
                         headers={"Authorization": "Bearer sk_test_a"}) as api:
        job = api.post("/jobs", json=JOB).json()
        mock.advance(1.5)
        seen = api.get(f"/jobs/{job['id']}").json()
    assert seen["status"] == "processing"
    header, exchanges = record.load(path)
    path.write_text("\n".join(json.dumps(x) for x in [header, exchanges[1]]) + "\n")
    with serving(_stuck(seen)) as upstream:
        started = time.monotonic()
        outcome = Replayer(path, upstream + "/api/v1", "sk_test_x", timeout=1.0).run()
        waited = time.monotonic() - started
    assert 1.0 <= waited < 10  # asked again until the timeout, then compared
    by_where = {d.where: d for d in outcome.differences}
    status = by_where["body.status"]
    assert (status.expected, status.got) == ("processing", "queued")
    assert status.extra["note"] == "the server did not reach 'processing' within 1 s"
    assert "body.started_at" in by_where  # compared as it stands
