"""`Idempotency-Key` (Stripe's header) is an alias of the body's `idempotency_key` on every
operation that has the field (issue 18)."""

from __future__ import annotations

import pytest

JOB = {"type": "listing-tool", "input": {"image_url": "https://example.com/exterior.jpg", "listing_tool": "virtual-twilight"}}
PHOTOS = [{"image_url": "https://example.com/a.jpg"}]


def _create(sp, kind, body, headers=None):
    if kind == "jobs":
        return sp.post("/jobs", json={**JOB, **body}, headers=headers)
    if kind == "batches":
        return sp.post("/batches", json={"type": "empty-room", "photos": PHOTOS, **body}, headers=headers)
    if kind == "workflows":
        return sp.post("/workflows", json={"template": "mls-furniture-clear", "photos": PHOTOS, **body}, headers=headers)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["jobs", "batches", "workflows"])
def test_header_is_an_alias_of_the_body_field(sp, kind):
    first = _create(sp, kind, {}, {"Idempotency-Key": f"k-{kind}"})
    assert first.status_code == 202, first.text
    again = _create(sp, kind, {}, {"Idempotency-Key": f"k-{kind}"})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.content == first.content
    # the same key in the body is the same key
    body = _create(sp, kind, {"idempotency_key": f"k-{kind}"})
    assert body.headers.get("Idempotent-Replayed") == "true" and body.content == first.content
    same = _create(sp, kind, {"idempotency_key": f"k-{kind}"}, {"Idempotency-Key": f"k-{kind}"})
    assert same.status_code == 202 and same.content == first.content
    other = _create(sp, kind, {"metadata": {"x": 1}}, {"Idempotency-Key": f"k-{kind}"})
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"


@pytest.mark.parametrize("kind", ["jobs", "batches", "workflows"])
def test_header_and_body_that_differ_are_a_400_naming_the_header(sp, kind):
    r = _create(sp, kind, {"idempotency_key": "a"}, {"Idempotency-Key": "b"})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["field"] == "Idempotency-Key" and err["details"][1]["field"] == "idempotency_key"


def test_regenerate_takes_the_header(sp, stagepro_mock):
    job = sp.post("/jobs", json=JOB).json()
    stagepro_mock.advance(10)
    a = sp.post(f"/jobs/{job['id']}/regenerate", headers={"Idempotency-Key": "regen-1"})
    b = sp.post(f"/jobs/{job['id']}/regenerate", headers={"Idempotency-Key": "regen-1"})
    assert a.status_code == 202 and b.headers.get("Idempotent-Replayed") == "true"
    assert a.json()["id"] == b.json()["id"] and a.json()["idempotency_key"] == "regen-1"
    bad = sp.post(f"/jobs/{job['id']}/regenerate", json={"idempotency_key": "x"}, headers={"Idempotency-Key": "y"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "Idempotency-Key"


def test_header_is_validated_like_the_field(sp):
    r = sp.post("/jobs", json=JOB, headers={"Idempotency-Key": "x" * 300})
    err = r.json()["error"]
    # named as the spec spells it (and as the 400 for a header/body mismatch does), whatever
    # case the client sent; the length is a guess, and the message says so
    assert r.status_code == 400 and err["field"] == "Idempotency-Key", err
    assert err["details"] == [{"field": "Idempotency-Key", "message": err["details"][0]["message"]}]
    assert err["message"].startswith("`Idempotency-Key`") and "undocumented rule" in err["message"]
    r = sp.post("/jobs", json=JOB, headers={"idempotency-key": ""})
    assert r.status_code == 400 and r.json()["error"]["field"] == "Idempotency-Key"
