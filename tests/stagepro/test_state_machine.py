"""Invariants of the job engine under random sequences of requests (hypothesis state machine
over real HTTP): status only moves forward; processing jobs never exceed the plan's
concurrency; a live balance is its start minus the prices of accepted jobs and never goes
negative; test keys never change balance; batch counts sum to the total; idempotent replays
are byte-identical."""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

ORDER = {"queued": 0, "processing": 1, "completed": 2, "failed": 2}
PRICES = {"empty-room": 1, "virtual-stage": 2, "interior-design": 2, "edit": 1, "listing-tool": 1}
BODIES = [
    {"type": "virtual-stage", "input": {"image_url": "https://example.com/room.jpg", "style": "modern"}},
    {"type": "empty-room", "input": {"image_url": "https://example.com/room.jpg"}},
    {"type": "listing-tool", "input": {"image_url": "https://example.com/house.jpg", "listing_tool": "sky-enhancement"}},
    {"type": "edit", "input": {"image_url": "https://example.com/fail-noisy.jpg"}},
]


class Engine(RuleBasedStateMachine):
    server = None

    @initialize()
    def setup(self):
        self.live = "sk_live_sm_engine"
        self.test = "sk_test_sm_engine"
        self.server.reset(self.live)
        self.server.reset(self.test)
        httpx.post(f"{self.server.url}/__mock/accounts", json={"api_key": self.live, "credits": 12, "max_parallel_jobs": 2})
        self.clients = {
            k: httpx.Client(base_url=self.server.url + "/api/v1", headers={"Authorization": f"Bearer {k}"})
            for k in (self.live, self.test)
        }
        self.start = 12
        self.charged = 0
        self.ranks: dict[str, int] = {}
        self.batches: list[str] = []
        self.replays: dict[str, bytes] = {}

    @rule(body=st.sampled_from(BODIES), live=st.booleans(), idem=st.sampled_from([None, "a", "b"]))
    def create(self, body, live, idem):
        key = self.live if live else self.test
        payload = dict(body, idempotency_key=f"{idem}-{body['type']}") if idem else body
        r = self.clients[key].post("/jobs", json=payload)
        if r.status_code == 402:
            assert live
            return
        assert r.status_code == 202, r.text
        job = r.json()
        slot = f"{key}:{payload.get('idempotency_key')}"
        if idem and slot in self.replays:
            assert r.content == self.replays[slot]
            return
        if idem:
            self.replays[slot] = r.content
        if live:
            self.charged += PRICES[body["type"]]
        self.ranks[job["id"]] = 0

    @rule(live=st.booleans(), n=st.integers(1, 3))
    def batch(self, live, n):
        key = self.live if live else self.test
        r = self.clients[key].post("/batches", json={"type": "empty-room", "photos": [{"image_url": f"https://example.com/{i}.jpg"} for i in range(n)]})
        if r.status_code == 402:
            return
        assert r.status_code == 202
        if live:
            self.charged += n
        self.batches.append(f"{key}|{r.json()['id']}")
        for job_id in r.json()["job_ids"]:
            self.ranks[job_id] = 0

    @rule(seconds=st.sampled_from([0.5, 1, 2, 5]))
    def advance(self, seconds):
        self.server.advance(seconds)

    @invariant()
    def statuses_forward_and_concurrency(self):
        if not hasattr(self, "clients"):
            return
        for client in self.clients.values():
            page = client.get("/jobs", params={"limit": 100}).json()["data"]
            processing = 0
            for job in page:
                rank = ORDER[job["status"]]
                assert rank >= self.ranks.get(job["id"], 0), f"{job['id']} moved backwards"
                self.ranks[job["id"]] = rank
                processing += job["status"] == "processing"
            limit = client.get("/usage").json()["plan"]["max_parallel_jobs"]
            assert processing <= limit

    @invariant()
    def balances(self):
        if not hasattr(self, "clients"):
            return
        live = self.clients[self.live].get("/usage").json()["credits"]
        assert live["balance"] == self.start - self.charged >= 0
        assert live["spent"] == self.charged
        test = self.clients[self.test].get("/usage").json()["credits"]
        assert test["spent"] == 0 and test["unlimited"] is True

    @invariant()
    def batch_counts(self):
        for entry in getattr(self, "batches", []):
            key, batch_id = entry.split("|")
            c = self.clients[key].get(f"/batches/{batch_id}").json()["counts"]
            assert c["queued"] + c["processing"] + c["completed"] + c["failed"] == c["total"]


def test_engine_invariants(stagemock_server):
    Engine.server = stagemock_server
    Engine.TestCase.settings = settings(
        max_examples=12, stateful_step_count=12, deadline=None, database=None,
        suppress_health_check=list(HealthCheck),
    )
    Engine.TestCase("runTest").runTest()
