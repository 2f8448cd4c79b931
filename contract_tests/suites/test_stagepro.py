"""StagePro properties that use only the vendor API (and /__mock/ only where stated)."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from contract_tests.checks import check

from .helpers import (
    ORDER,
    TERMINAL,
    expect_status,
    field,
    let_time_pass,
    refused,
    status_of,
    wait_terminal,
)

JOB_BODIES = [
    {
        "type": "listing-tool",
        "input": {
            "image_url": "https://example.com/exterior.jpg",
            "listing_tool": "virtual-twilight",
        },
    },
    {
        "type": "virtual-stage",
        "input": {
            "image_url": "https://example.com/room.jpg",
            "style": "modern",
            "room_type": "living-room",
        },
    },
    {"type": "empty-room", "input": {"image_url": "https://example.com/room.jpg"}},
]


@check("auth_required", api="stagepro")
@pytest.mark.parametrize(
    "header", [None, "Bearer", "Token abc", "Bearer sk_live_definitely_not_a_key_0000"]
)
def test_stagepro_bad_or_missing_keys_get_401(target, header):
    headers = {} if header is None else {"Authorization": header}
    for path in ("/capabilities", "/usage", "/jobs"):
        r = httpx.get(target.base_url + path, headers=headers, timeout=30)
        expect_status(r, 401)
        field(r, "error")


@check("terminal_state", api="stagepro")
def test_stagepro_job_reaches_terminal_state_moving_forward(target, client):
    r = client.post("/jobs", json=JOB_BODIES[0])
    expect_status(r, 202)
    job = field(r, "status", "id")
    assert job["status"] == "queued", f"a new job is {job['status']}, not queued"
    done = wait_terminal(client, target, job["id"])
    if done["status"] == "completed":
        url = done["output"]["images"][0]["url"]
        img = httpx.get(url, timeout=30)
        assert img.status_code == 200 and img.headers["content-type"].startswith("image/"), (
            f"output image {url} answered {img.status_code} {img.headers.get('content-type')}"
        )


@check("idempotent_replay", api="stagepro")
def test_stagepro_idempotent_replay_is_identical(target, client):
    body = dict(JOB_BODIES[1], idempotency_key="contract-idem-1")
    first = client.post("/jobs", json=body)
    second = client.post("/jobs", json=body)
    expect_status(first, 202)
    expect_status(second, 202)
    assert field(second, "id")["id"] == field(first, "id")["id"], (
        "same idempotency_key + body created a second job"
    )
    other = client.post("/jobs", json=dict(JOB_BODIES[2], idempotency_key="contract-idem-1"))
    expect_status(other, 409)  # "same key, other body": a conflict


#: The cursor scheme the test follows (``cursor``, ``next_cursor``) is this mock's: the
#: reference says only "paginated".
CURSOR = "/paths/~1jobs/get/parameters/3/schema"


@check("pagination", api="stagepro", rests_on=(CURSOR,))
def test_stagepro_pagination_never_repeats_or_skips(target, client):
    listing = "contract-pagination"
    created = []
    for i in range(7):
        body = dict(JOB_BODIES[0], metadata={"listing_id": listing, "photo_index": i})
        r = client.post("/jobs", json=body)
        expect_status(r, 202)
        created.append(field(r, "id")["id"])
    seen, cursor, pages = [], None, 0
    while True:
        params = {"listing_id": listing, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/jobs", params=params)
        expect_status(page, 200)
        body = field(page, "data", "has_more", "next_cursor")
        seen += [j["id"] for j in body["data"]]
        pages += 1
        assert pages < 20, "pagination does not end"
        if not body["has_more"]:
            assert body["next_cursor"] is None, "next_cursor on the last page"
            break
        cursor = body["next_cursor"]
    assert len(seen) == len(set(seen)), f"pagination repeated items: {seen}"
    assert set(created) <= set(seen), f"pagination skipped {set(created) - set(seen)}"


@check("object_isolation", api="stagepro")
def test_stagepro_other_key_never_sees_first_keys_objects(target, client):
    if not target.other_api_key:
        pytest.skip("needs --other-api-key (a second account)")
    job = field(client.post("/jobs", json=JOB_BODIES[0]), "id")
    other = httpx.Client(
        base_url=target.base_url, headers=target.auth_headers(target.other_api_key), timeout=30
    )
    r = other.get(f"/jobs/{job['id']}")
    refused(r, f"another account read job {job['id']}", 404)  # 404: a guess of the spec
    listed = field(other.get("/jobs", params={"limit": 100}), "data")["data"]
    assert job["id"] not in {j["id"] for j in listed}, "another account lists the first key's job"


@check("magic_failure", api="stagepro")
def test_stagepro_magic_failure_input_fails_the_job(target, client, control_plane):
    r = client.post(
        "/jobs",
        json={"type": "edit", "input": {"image_url": "https://x.test/fail-image_too_dark.jpg"}},
    )
    expect_status(r, 202)
    done = wait_terminal(client, target, field(r, "id")["id"])
    assert done["status"] == "failed" and done["error"]["code"] == "image_too_dark", (
        f"magic fail- input ended {done['status']} with {done.get('error')}"
    )


class JobLifecycle(RuleBasedStateMachine):
    """Random creates, polls and waits: statuses only move forward, and every job reaches a
    terminal state within a bounded poll."""

    target = None
    client = None

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[str, int] = {}

    @rule(body=st.sampled_from(JOB_BODIES))
    def create(self, body):
        r = self.client.post("/jobs", json=body)
        expect_status(r, 202)
        job = field(r, "id", "status")
        assert job["status"] == "queued", f"a new job is {job['status']}, not queued"
        self.last[job["id"]] = 0

    @rule(seconds=st.sampled_from([0.5, 1, 3, 10]))
    def wait(self, seconds):
        let_time_pass(self.target, seconds)

    @rule()
    def poll(self):
        for job_id, rank in list(self.last.items()):
            status = status_of(self.client.get(f"/jobs/{job_id}"))
            assert ORDER[status] >= rank, f"job {job_id} moved backwards to {status}"
            self.last[job_id] = ORDER[status]

    @invariant()
    def known_statuses_only(self):
        assert all(rank in (0, 1, 2) for rank in self.last.values())

    def teardown(self):
        for job_id in self.last:
            assert wait_terminal(self.client, self.target, job_id)["status"] in TERMINAL


@check("job_lifecycle", api="stagepro")
def test_stagepro_job_lifecycle_state_machine(target, client):
    JobLifecycle.target = target
    JobLifecycle.client = client
    runner = JobLifecycle.TestCase
    # Against a server whose time is real (no control plane), each replay of a failing
    # sequence sleeps and polls again: the first failure found is reported as it was found,
    # not shrunk, and the search stops there. On the mock, time is virtual: shrink as usual.
    real_time = not target.has_control_plane
    runner.settings = settings(
        max_examples=5,
        stateful_step_count=8,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate] if real_time else list(Phase),
        report_multiple_bugs=not real_time,
    )
    runner("runTest").runTest()
