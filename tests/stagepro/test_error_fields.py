"""docs/errors.md: every failure names the offending field; every 400 validation_error has details
(issue 18, "README and behaviour disagree" item 6)."""

from __future__ import annotations

import io

import httpx
from PIL import Image

STAGE = {"type": "virtual-stage", "input": {"image_url": "https://example.com/room.jpg", "style": "modern"}}


def _client(stagemock_server, key):
    return httpx.Client(base_url=stagemock_server.url + "/api/v1", headers={"Authorization": f"Bearer {key}"})


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (1, 2, 3)).save(buf, "PNG")
    return buf.getvalue()


def test_402_names_the_field_that_costs(stagemock_server):
    with _client(stagemock_server, "sk_live_mock_no_credits") as c:
        r = c.post("/jobs", json=STAGE)
        assert r.status_code == 402 and r.json()["error"]["field"] == "type"
        photos = [{"image_url": "https://example.com/a.jpg"}]
        r = c.post("/batches", json={"type": "virtual-stage", "input": {}, "photos": photos})
        assert r.status_code == 402 and r.json()["error"]["field"] == "photos"
        r = c.post("/workflows", json={"template": "mls-virtual-stage", "photos": photos})
        assert r.status_code == 402 and r.json()["error"]["field"] == "photos"


def test_403_storage_names_the_field_that_needs_storage(stagemock_server):
    with _client(stagemock_server, "sk_live_mock_storage_full") as c:
        r = c.post("/uploads", files={"file": ("a.png", _png(), "image/png")})
        assert r.status_code == 403 and r.json()["error"]["field"] == "file"
        r = c.post("/jobs", json=STAGE)
        assert r.status_code == 403 and r.json()["error"]["field"] == "type"


def test_a_choice_of_fields_names_every_field_of_the_choice(sp):
    for body in ({}, {"image_url": "https://example.com/a.jpg", "upload_id": "upl_x"}):
        err = sp.post("/agent/sessions", json=body).json()["error"]
        assert err["field"] == ["image_url", "upload_id"], err
        assert err["details"][0]["field"] == err["field"]
        assert "`image_url`, `upload_id`" in err["message"]
    err = sp.post("/jobs", json={"type": "edit", "input": {}}).json()["error"]
    assert err["field"] == ["input.image_url", "input.upload_id"]
    r = sp.post("/batches", json={"type": "edit", "input": {}, "photos": [{"label": "a"}]})
    assert r.status_code == 400
    assert r.json()["error"]["field"] == ["photos[0].image_url", "photos[0].upload_id"]


def test_a_value_that_is_not_an_object_is_told_so_not_a_choice(sp):
    """A non-object `input` or `photos[i]` is "must be an object" — never "give only one of
    `input.image_url`, `input.upload_id`" (a `required` choice holds only for objects)."""
    for value, kind in (("x", "a string"), ([1], "an array"), (None, "null"), (3, "an integer")):
        err = sp.post("/jobs", json={"type": "edit", "input": value}).json()["error"]
        assert err["field"] == "input", err
        assert err["details"] == [{"field": "input", "message": f"must be an object, not {kind}"}]
        photos = [{"image_url": "https://example.com/a.jpg"}, value]
        r = sp.post("/batches", json={"type": "edit", "input": {}, "photos": photos})
        err = r.json()["error"]
        assert r.status_code == 400 and err["field"] == "photos[1]", err
        assert [d["message"] for d in err["details"]] == [f"must be an object, not {kind}"]
    err = sp.post("/jobs", json={"type": "edit", "input": {"image_url": 5}}).json()["error"]
    assert err["details"][0] == {"field": "input.image_url", "message": "must be a string, not an integer"}


def test_every_validation_error_has_details(sp):
    for r in (sp.post("/jobs", json={"type": "listing-tool", "input": {"image_url": "https://x.test/a.jpg"}}),
              sp.get("/jobs", params={"cursor": "nope"})):
        err = r.json()["error"]
        assert r.status_code == 400 and err["field"], err
        assert err["details"] and err["details"][0]["field"] == err["field"]


def test_409s_name_the_job_or_session(sp, stagepro_mock):
    job = sp.post("/jobs", json=STAGE).json()
    assert sp.post(f"/jobs/{job['id']}/regenerate", json={}).json()["error"]["field"] == "id"
    s = sp.post("/agent/sessions", json={"image_url": "https://example.com/a.jpg"}).json()
    assert sp.post(f"/agent/sessions/{s['id']}/render", json={}).json()["error"]["field"] == "id"


def test_an_over_long_value_is_named_by_its_start_and_length_not_repeated_whole(
        stagemock_server):
    """A 2,000-character value over its limit: the message quotes its first 60 characters
    and says how long it is (a new user's walkthrough saw a whole prompt printed back, in the
    answer and in journal-report)."""
    value = "é" + "x" * 1999
    body = {**STAGE, "metadata": {"notes": value}}
    with _client(stagemock_server, "sk_test_long_values") as c:
        r = c.post("/jobs", json=body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["field"] == "metadata.notes", error
    message = error["message"]
    assert value not in message and len(message) < 400, message
    assert '"é' + "x" * 59 + '…" (2000 characters)' in message, message
    assert "longer than 500 characters" in message, message
