"""``POST /__mock/clock/advance-until-idle``: the clock moves to the moment the last job has
ended, no further; ``max_seconds`` bounds it. Through the plugin's ``stagepro_mock``, which
gets it from ``ControlPlane`` with nothing written for it."""

from __future__ import annotations

JOB = {"type": "virtual-stage", "input": {"image_url": "https://x.test/room.jpg",
       "style": "modern", "room_type": "bedroom"}}


def _jobs(sp, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        r = sp.post("/jobs", json=JOB)
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    return ids


def test_the_clock_stops_when_the_last_job_has_ended(stagepro_mock, sp):
    ids = _jobs(sp, 5)  # more than the plan's parallel jobs: some wait in the queue
    moved = stagepro_mock.advance_until_idle()
    assert moved["idle"] is True and moved["advanced_seconds"] > 0
    jobs = [sp.get(f"/jobs/{i}").json() for i in ids]
    assert {j["status"] for j in jobs} == {"completed"}
    assert moved["now"] == max(j["completed_at"] for j in jobs)  # there, not a second more
    late = _jobs(sp, 1)  # created at the new time: still to do
    assert sp.get(f"/jobs/{late[0]}").json()["status"] == "queued"
    again = stagepro_mock.advance_until_idle()
    assert again["idle"] is True and 0 < again["advanced_seconds"] < moved["advanced_seconds"]
    assert sp.get(f"/jobs/{late[0]}").json()["status"] == "completed"


def test_max_seconds_bounds_the_move(stagepro_mock, sp):
    [job] = _jobs(sp, 1)
    moved = stagepro_mock.advance_until_idle(max_seconds=0.5)
    assert moved["idle"] is False and moved["advanced_seconds"] == 0.5
    assert sp.get(f"/jobs/{job}").json()["status"] in ("queued", "processing")


def test_nothing_queued_leaves_the_clock_alone(stagemock_server):
    before = stagemock_server.health()["clock"]["unix"]
    moved = stagemock_server.advance_until_idle()
    assert moved == {**moved, "idle": True, "advanced_seconds": 0, "unix": before}
