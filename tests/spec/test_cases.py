"""StagePro's rules by status (and a test key's charge, a regeneration's variation, a list's
cursor) are choices by case a generator types (``schema_walk.case_field``), not if/then: the
schema still refuses what the if/then refused, and a refusal names the field the case's rule
is about, judged as before."""

from __future__ import annotations

import copy

import pytest

from mock_server.jsontypes import JsonObject
from mock_server.resources import data_dir
from mock_server.spec.loader import load_spec
from mock_server.spec.schema_walk import case_branch_names
from mock_server.spec.validation import _compile, describe_errors

T = "2024-01-01T00:00:00Z"
OUTPUT = {"images": [{"url": "https://x.test/a.jpg", "width": 1, "height": 1,
                      "content_type": "image/jpeg"}]}
JOB = {"$ref": "#/components/schemas/Job"}


@pytest.fixture(scope="module")
def document() -> JsonObject:
    return load_spec("stagepro", data_dir("openapi") / "stagepro.yaml", "").document


def job(status: str, **fields: object) -> JsonObject:
    body: JsonObject = {
        "id": "job_1", "object": "job", "type": "virtual-stage", "status": status,
        "input": {"image_url": "https://x.test/r.jpg"}, "metadata": {}, "listing_id": None,
        "batch_id": None, "idempotency_key": None, "webhook_endpoint_id": None,
        "regenerated_from": None, "variation": 0, "livemode": True, "credits_charged": 3,
        "output": None, "error": None, "created_at": T, "started_at": None,
        "completed_at": None}
    if status != "queued":
        body["started_at"] = T
    if status in ("completed", "failed"):
        body["completed_at"] = T
    if status == "completed":
        body["output"] = copy.deepcopy(OUTPUT)
    if status == "failed":
        body["error"] = {"code": "processing_failed", "message": "x"}
    body.update(fields)
    return body


def findings(document: JsonObject, body: JsonObject, schema: JsonObject = JOB) -> list:
    errors = list(_compile(document, schema).iter_errors(body))
    return [(v["field"], v["rule"], v.get("source")) for v in
            describe_errors(document, schema, errors, "body", request=False)]


@pytest.mark.parametrize("status", ["queued", "processing", "completed", "failed"])
def test_each_status_of_a_job_is_valid(document, status):
    assert findings(document, job(status)) == []


@pytest.mark.parametrize("body, field", [
    (job("completed", output=None), "body.output"),  # a completed job has its output
    (job("queued", output=OUTPUT), "body.output"),  # a queued one has none
    (job("processing", started_at=None), "body.started_at"),
    (job("failed", error=None), "body.error"),
    (job("queued", livemode=False, credits_charged=2), "body.credits_charged"),
    (job("completed", regenerated_from="job_0", variation=0), "body.variation"),
])
def test_the_rule_of_each_case_is_refused_at_its_field(document, body, field):
    """The field the rule is about, no other finding; a guess, with the case's own reason:
    the reference shows no job body, so no case of it is documented (the if/then these
    replaced was judged documented with no reference cited, which blamed a real server for
    a rule only this mock states)."""
    found = findings(document, body)
    assert [(f, rule) for f, rule, _ in found] == [(field, "guess")], found


def test_a_value_no_case_takes_is_judged_by_the_fields_own_rule(document):
    """An unknown status: its enum, and no second finding from the choice."""
    found = findings(document, {**job("completed"), "status": "done"})
    assert [f[0] for f in found] == ["body.status"]


def test_a_list_cursor_by_has_more(document):
    schema = {"$ref": "#/components/schemas/JobList"}
    body = {"object": "list", "data": [job("queued")], "has_more": False, "next_cursor": "c"}
    assert findings(document, body, schema) == [("body.next_cursor", "documented", None)]
    body.update(has_more=True)
    assert findings(document, body, schema) == []


def test_the_branches_are_restatements_not_ledger_items(document):
    """``JobCompleted`` and its kin restate fields of ``Job``: the ledger counts them there."""
    from mock_server.spec.ledger import items

    names = case_branch_names(document)
    assert {"JobQueued", "JobCompleted", "BatchCompleted", "WorkflowQueued"} <= names
    pointers = {i.pointer for i in items(document)}
    assert not any(p.startswith(f"/components/schemas/{n}/") for p in pointers for n in names)
    assert not any(p.startswith("/components/schemas/Job/allOf") for p in pointers)
