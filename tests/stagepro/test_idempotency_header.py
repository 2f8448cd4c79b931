"""`Idempotency-Key` (Stripe's header) is an alias of the body's `idempotency_key` on every
operation that has the field (issue 18); the body field is the documented one, so it wins over
a header that differs, and a header alone is journaled as a guess (issue 30, part 4)."""

from __future__ import annotations

import pytest

from mock_server import journal_report

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
def test_header_and_body_that_differ_the_documented_body_field_wins(sp, stagepro_mock, kind):
    """Schema-valid, so no 4xx (schemathesis's ST202): the body's `idempotency_key` is used,
    and the journal says the header lost, as a guess."""
    r = _create(sp, kind, {"idempotency_key": f"a-{kind}"}, {"Idempotency-Key": f"b-{kind}"})
    assert r.status_code == 202, r.text
    again = _create(sp, kind, {"idempotency_key": f"a-{kind}"})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.content == r.content
    fresh = _create(sp, kind, {}, {"Idempotency-Key": f"b-{kind}"})  # the header's key unused
    assert fresh.status_code == 202 and "Idempotent-Replayed" not in fresh.headers
    warning = stagepro_mock.journal()[-3]["warnings"]
    assert warning == [{"field": "Idempotency-Key", "guess": warning[0]["guess"],
                        "message": warning[0]["message"]}]
    assert f"'b-{kind}'" in warning[0]["message"] and "the body's was used" in warning[0]["message"]


def test_a_client_relying_on_the_header_alone_fails_the_guesses_gate_in_words(sp, stagepro_mock):
    """issue 30 part 4: the reference documents the body field; a header-only client gets a
    guess finding saying so, and a body-field client gets none."""
    assert _create(sp, "jobs", {"idempotency_key": "by-the-body"}).status_code == 202
    assert journal_report.breaks(stagepro_mock.journal(), "guesses") == []
    assert _create(sp, "jobs", {}, {"Idempotency-Key": "by-the-header"}).status_code == 202
    entries = stagepro_mock.journal()
    assert entries[-1]["conformant"] and entries[-1]["warnings"][0]["guess"]
    assert journal_report.breaks(entries, "violations") == []
    (why,) = journal_report.breaks(entries, "guesses")
    assert "1 request broke only guesses" in why, why
    assert ("the reference documents the body field `idempotency_key`; the `Idempotency-Key` "
            "header is this mock's guess") in why, why
    assert "send the key as `idempotency_key` in the body" in why, why


def test_regenerate_takes_the_header(sp, stagepro_mock):
    job = sp.post("/jobs", json=JOB).json()
    stagepro_mock.advance(10)
    a = sp.post(f"/jobs/{job['id']}/regenerate", headers={"Idempotency-Key": "regen-1"})
    b = sp.post(f"/jobs/{job['id']}/regenerate", headers={"Idempotency-Key": "regen-1"})
    assert a.status_code == 202 and b.headers.get("Idempotent-Replayed") == "true"
    assert a.json()["id"] == b.json()["id"] and a.json()["idempotency_key"] == "regen-1"
    both = sp.post(f"/jobs/{job['id']}/regenerate", json={"idempotency_key": "x"}, headers={"Idempotency-Key": "y"})
    assert both.status_code == 202 and both.json()["idempotency_key"] == "x"  # the body's


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
