"""``POST /__mock/reset`` without a body leaves the server as freshly started: the same
requests then give the same bytes as on a new server (journal numbering and clock included)."""

from __future__ import annotations

import httpx

from mock_server.settings import Settings
from mock_server.testing import RunningServer

JOB = {"type": "virtual-stage", "input": {"image_url": "https://x.test/room.jpg",
       "style": "modern", "room_type": "bedroom"}}
VOLATILE = ("duration_ms", "wall_time")


def _session(server: RunningServer) -> list[str]:
    """A little of everything, as bytes (the server's port aside)."""
    out = []
    with httpx.Client(base_url=server.url, timeout=30) as c:
        sp = {"Authorization": "Bearer sk_test_fresh"}
        job = c.post("/api/v1/jobs", json=JOB, headers=sp)
        out.append(job.text)
        server.advance(10)
        out.append(c.get(f"/api/v1/jobs/{job.json()['id']}", headers=sp).text)
        out.append(c.post("/api/projects", json={"title": "t"},
                          headers={"stager-api-key": "stager_test_fresh"}).text)
        out.append(c.get("/api/v1/usage", headers={"Authorization": "Bearer sk_live_mock_funded"}).text)
        out.append(c.get("/__mock/clock").text)
        journal = c.get("/__mock/journal").json()
        for entry in journal["entries"]:
            for name in VOLATILE:
                entry.pop(name)
        out.append(repr(journal))
    return [text.replace(server.url, "ORIGIN") for text in out]


def test_a_full_reset_gives_the_bytes_of_a_fresh_start():
    with RunningServer(Settings(deterministic=True, image_workers=0)) as server:
        fresh = _session(server)
        server.reset()
        assert _session(server) == fresh


def test_a_full_reset_takes_back_a_wall_clock_offset():
    with RunningServer(Settings(image_workers=0)) as server:
        server.advance(3600)
        assert server.admin("GET", "clock").json()["offset_seconds"] == 3600
        server.reset()
        assert server.admin("GET", "clock").json()["offset_seconds"] == 0


def test_emptying_the_journal_keeps_its_numbering():
    with RunningServer(Settings(deterministic=True, image_workers=0)) as server:
        with httpx.Client(base_url=server.url + "/api/v1", timeout=10,
                          headers={"Authorization": "Bearer sk_test_n"}) as api:
            api.get("/jobs")
            server.admin("DELETE", "journal")
            api.get("/jobs")
        assert [e["seq"] for e in server.journal()] == [2]
