"""Fault rules on StagePro's webhook deliveries, end to end with a real receiver on the virtual
clock: duplicates carry one event id, reordered events arrive newest first, a delay follows
the mock's clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.waiting import wait_for

JOB = {"type": "listing-tool", "input": {"image_url": "https://example.com/exterior.jpg",
       "listing_tool": "virtual-twilight"}}


@pytest.fixture
def endpoint(stagepro_mock, stagepro_webhook_receiver):
    with stagepro_mock.console() as console:
        ep = console.post("/webhooks", json={"url": stagepro_webhook_receiver.url}).json()
        wait_for(lambda: console.get("/webhooks").json()["data"][0]["status"] == "active")
    return ep


def _deliveries(server, key):
    return server.admin("GET", "webhooks/deliveries", params={"api_key": key}).json()["data"]


def _jobs(sp, endpoint, n):
    return [sp.post("/jobs", json=dict(JOB, webhook_endpoint_id=endpoint["id"])).json()["id"]
            for _ in range(n)]


def test_a_duplicated_event_arrives_twice_with_one_event_id(
        stagepro_mock, sp, endpoint, stagepro_webhook_receiver):
    rule = stagepro_mock.fault("duplicate", "job.completed", api="webhooks")
    [job] = _jobs(sp, endpoint, 1)
    stagepro_mock.advance(10)
    got = stagepro_webhook_receiver.wait_for(2)
    assert [g["json"]["data"]["object"]["id"] for g in got] == [job, job]
    assert got[0]["headers"]["x-stagepro-event-id"] == got[1]["headers"]["x-stagepro-event-id"]
    assert got[0]["body"] == got[1]["body"]
    listed = _deliveries(stagepro_mock.server, stagepro_mock.api_key)
    assert sorted(d["duplicate"] for d in listed) == [False, True]
    assert {d["fault"] for d in listed} == {rule["id"]}


def test_reordered_events_arrive_newest_first(
        stagepro_mock, sp, endpoint, stagepro_webhook_receiver):
    stagepro_mock.fault("reorder", "job.completed", api="webhooks", times=3)
    jobs = _jobs(sp, endpoint, 3)
    stagepro_mock.advance(1)  # picked up (4 parallel jobs)
    stagepro_mock.advance(10)  # all three complete in one step: held, then released
    got = stagepro_webhook_receiver.wait_for(3)
    created = [g["json"]["created"] for g in got]
    assert [g["json"]["data"]["object"]["id"] for g in got] == list(reversed(jobs))
    assert created == sorted(created, reverse=True)


def test_a_reorder_holds_until_deleted(stagepro_mock, sp, endpoint, stagepro_webhook_receiver):
    rule = stagepro_mock.fault("reorder", "job.completed", api="webhooks", times=None)
    jobs = _jobs(sp, endpoint, 2)
    stagepro_mock.advance(11)
    listed = _deliveries(stagepro_mock.server, stagepro_mock.api_key)
    assert [d["state"] for d in listed] == ["held", "held"]
    assert stagepro_webhook_receiver.deliveries == []
    stagepro_mock.server.delete_fault(rule["id"])
    got = stagepro_webhook_receiver.wait_for(2)
    assert [g["json"]["data"]["object"]["id"] for g in got] == list(reversed(jobs))


def test_a_delayed_delivery_follows_the_mocks_clock(
        stagepro_mock, sp, endpoint, stagepro_webhook_receiver):
    stagepro_mock.fault("delay", api="webhooks", delay_seconds=60)
    _jobs(sp, endpoint, 1)
    stagepro_mock.advance(10)
    [held] = _deliveries(stagepro_mock.server, stagepro_mock.api_key)
    assert held["state"] == "pending" and held["attempts"] == []
    due = datetime.fromisoformat(held["next_attempt_at"].replace("Z", "+00:00")).timestamp()
    created = datetime.fromisoformat(held["created"].replace("Z", "+00:00")).timestamp()
    assert due - created == 60  # held for delay_seconds of the mock's clock
    now = stagepro_mock.advance(0)["unix"]
    stagepro_mock.advance(due - now - 1)
    assert stagepro_webhook_receiver.deliveries == []
    assert _deliveries(stagepro_mock.server, stagepro_mock.api_key)[0]["attempts"] == []
    stagepro_mock.advance(1)
    assert len(stagepro_webhook_receiver.wait_for(1)) == 1


def test_a_webhook_rule_for_another_key_changes_nothing(
        stagepro_mock, sp, endpoint, stagepro_webhook_receiver):
    stagepro_mock.server.fault("webhooks", "duplicate", api_key="sk_test_someone_else",
                               times=None)
    _jobs(sp, endpoint, 1)
    stagepro_mock.advance(10)
    stagepro_webhook_receiver.wait_for(1)
    assert len(_deliveries(stagepro_mock.server, stagepro_mock.api_key)) == 1
    assert stagepro_mock.server.faults()[0]["hits"] == 0  # the other key's rule: unused


def test_the_report_counts_and_names_duplicated_and_reordered_events(
        stagepro_mock, sp, endpoint, stagepro_webhook_receiver):
    """issue 34: the resilience report said nothing about webhook faults. It now counts the
    duplicated and the reordered events, names their ids, and says the handler is the test's
    to check; ``duplicated_events()`` / ``reordered_events()`` are that check's one line."""
    from mock_server import journal_report

    stagepro_mock.fault("duplicate", "job.completed", api="webhooks")
    [dup_job] = _jobs(sp, endpoint, 1)
    stagepro_mock.advance(10)
    stagepro_webhook_receiver.wait_for(2)
    stagepro_mock.fault("reorder", "job.completed", api="webhooks", times=2)
    _jobs(sp, endpoint, 2)
    stagepro_mock.advance(11)
    got = stagepro_webhook_receiver.wait_for(4)
    ids = [g["headers"]["x-stagepro-event-id"] for g in got]
    duplicated = stagepro_mock.duplicated_events()
    reordered = stagepro_mock.reordered_events()
    assert duplicated == [ids[0]] == [ids[1]]
    assert reordered == list(reversed(ids[2:]))  # as queued; delivered newest first
    assert stagepro_mock.server.duplicated_events(stagepro_mock.api_key) == duplicated

    deliveries = stagepro_mock.deliveries()
    data = journal_report.summarize(stagepro_mock.journal(), deliveries)["webhook_faults"]
    assert data["duplicated"] == duplicated and data["reordered"] == reordered
    text = journal_report.build(stagepro_mock.journal(), deliveries)
    assert "webhook faults: 1 event delivered twice, 2 delivered out of order" in text, text
    assert f"duplicated: {duplicated[0]}" in text
    assert f"reordered: {', '.join(reordered)}" in text
    assert "the mock cannot see your webhook handler" in text
    assert "is your test's own assertion" in text


def test_no_webhook_fault_no_webhook_fault_lines(stagepro_mock, sp, endpoint,
                                                 stagepro_webhook_receiver):
    from mock_server import journal_report

    _jobs(sp, endpoint, 1)
    stagepro_mock.advance(10)
    stagepro_webhook_receiver.wait_for(1)
    assert stagepro_mock.duplicated_events() == [] == stagepro_mock.reordered_events()
    assert "webhook faults" not in journal_report.build(stagepro_mock.journal(),
                                                        stagepro_mock.deliveries())
