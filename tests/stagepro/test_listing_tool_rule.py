"""StagePro's ``listing_tool`` rule by job ``type`` is the schema's (issue 34's last ST202 a
schema can state): createJob's ``oneOf`` and createBatch's ``anyOf`` on ``type`` say a
listing-tool job names its tool (a batch: in the shared ``input`` or on every photo) and a job
of any other type has none. The mock refuses exactly what the schema refuses, from its request validation
(the guess's words say so), in StagePro's error naming the field and saying why."""

from __future__ import annotations

import itertools
from pathlib import Path

import jsonschema
import pytest
import yaml

SPEC_DIR = Path(__file__).resolve().parents[2] / "openapi"
URL = "https://x.test/a.jpg"
SUFFIX = "(an undocumented rule of this mock; the real API may accept it)"
TYPES = ("listing-tool", "edit", "empty-room")


def _schema(name: str) -> jsonschema.Draft202012Validator:
    doc = yaml.safe_load((SPEC_DIR / "stagepro.yaml").read_text())
    return jsonschema.Draft202012Validator({**doc["components"]["schemas"][name],
                                            "components": doc["components"]})


def test_the_schema_states_the_rule_both_ways():
    job = _schema("JobCreate")
    assert job.is_valid({"type": "listing-tool",
                         "input": {"image_url": URL, "listing_tool": "sky-enhancement"}})
    assert job.is_valid({"type": "edit", "input": {"image_url": URL}})
    assert not job.is_valid({"type": "listing-tool", "input": {"image_url": URL}})
    assert not job.is_valid({"type": "edit",
                             "input": {"image_url": URL, "listing_tool": "sky-enhancement"}})
    doc = yaml.safe_load((SPEC_DIR / "stagepro.yaml").read_text())
    schemas = doc["components"]["schemas"]
    # the branches partition the job types: a new type must say whether it takes a tool
    assert set(schemas["CoreJobType"]["enum"]) | {"listing-tool"} == set(
        schemas["JobType"]["enum"])
    for name, keyword in (("JobCreate", "oneOf"), ("BatchCreate", "anyOf")):
        assert "listing_tool" in schemas[name]["x-stagemock-guess-keywords"][keyword]


def _refusal(sp, path, schema, body):
    """The mock's error for ``body``, which must be a 400 ``validation_error`` exactly when
    the spec's ``schema`` refuses the body (``None``: valid, and answered 202)."""
    valid = _schema(schema).is_valid(body)
    r = sp.post(path, json=body)
    assert (r.status_code == 202) is valid, r.text
    if valid:
        return None
    error = r.json()["error"]
    assert r.status_code == 400 and error["code"] == "validation_error"
    return error


@pytest.mark.parametrize("job_type,tool", list(itertools.product(TYPES, (None, "sky-enhancement"))))
def test_a_job_is_refused_exactly_when_the_schema_refuses_it(sp, job_type, tool):
    body = {"type": job_type, "input": {"image_url": URL, **({"listing_tool": tool} if tool
                                                             else {})}}
    error = _refusal(sp, "/jobs", "JobCreate", body)
    if error is None:
        return
    assert error["field"] == "input.listing_tool"
    words = ("is required when type is listing-tool" if job_type == "listing-tool"
             else "is only allowed when type is listing-tool")
    assert error["message"] == f"`input.listing_tool` {words}" + (
        " (a slug from GET /capabilities)" if tool is None else "") + f" {SUFFIX}"
    assert [d["field"] for d in error["details"]] == ["input.listing_tool"]  # said once


BATCHES = [  # (type, shared tool, each photo's tool)
    (t, shared, photos)
    for t in TYPES for shared in (None, "room-declutter")
    for photos in ((None, None), ("sky-enhancement", None), ("sky-enhancement",) * 2)
]


@pytest.mark.parametrize("job_type,shared,photos", BATCHES)
def test_a_batch_is_refused_exactly_when_the_schema_refuses_it(sp, job_type, shared, photos):
    body = {"type": job_type,
            "photos": [{"image_url": URL, **({"listing_tool": t} if t else {})} for t in photos]}
    if shared:
        body["input"] = {"listing_tool": shared}
    error = _refusal(sp, "/batches", "BatchCreate", body)
    if error is None:
        return
    assert error["message"].endswith(SUFFIX), error
    if job_type == "listing-tool":  # a photo with no tool: the shared one or each its own
        lacking = [f"photos[{i}].listing_tool" for i, t in enumerate(photos) if not t]
        assert error["field"] == ["input.listing_tool", *lacking], error
        assert "is required when type is listing-tool" in error["message"]
    else:  # every tool given is named, each refused
        given = {f"photos[{i}].listing_tool" for i, t in enumerate(photos) if t}
        given |= {"input.listing_tool"} if shared else set()
        assert {d["field"] for d in error["details"]} == given, error
        assert all(d["message"].startswith("is only allowed when type is listing-tool")
                   for d in error["details"]), error
        assert error["message"].startswith(f"`{error['field']}` is only allowed when type is")
    assert sp.get("/jobs").json()["data"] == []  # all-or-nothing: nothing was created


def test_a_workflow_names_no_tool_and_its_template_sets_it(sp):
    """Workflows take no ``listing_tool`` (the template fixes it): the rule has nothing to say
    there, and the job of a listing-tool template carries its tool."""
    r = sp.post("/workflows", json={"template": "mls-sky-enhance",
                                    "photos": [{"image_url": URL, "listing_tool": "x"}]})
    assert r.status_code == 400 and r.json()["error"]["field"] == "photos[0].listing_tool"
    r = sp.post("/workflows", json={"template": "mls-sky-enhance", "photos": [{"image_url": URL}]})
    assert r.status_code == 202, r.text
    job = sp.get("/jobs").json()["data"][0]
    assert job["type"] == "listing-tool" and job["input"]["listing_tool"] == "sky-enhancement"
