"""The specs' guessed ``429`` and ``5XX`` answers (issue 34): every operation declares them,
marked guesses (the references document neither), with the API's own error envelope. The rule
book judges a 429 or 5xx from a real server as that declared guess, checks its body against
the guessed envelope (guess findings), and leaves every other undeclared status
``unspecified``, exactly as before. No server is started."""

from __future__ import annotations

import json

import pytest

from contract_tests.guesses import Classifier
from contract_tests.target import SPECS
from mock_server.journal_report import summarize
from mock_server.proxy.verdicts import SpecIndex
from mock_server.spec.loader import response_key
from mock_server.spec.rules import DOCUMENTED, GUESS, UNSPECIFIED

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def pro() -> Classifier:
    return Classifier(SPECS["stagepro"], "stagepro")


@pytest.fixture(scope="module")
def rai() -> Classifier:
    return Classifier(SPECS["stagerai"], "stagerai")


def _answer(index: SpecIndex, op_id: str, status: int, body: object,
            headers: dict[str, str] | None = None) -> list[dict[str, object]]:
    rules = index._rules(next(o for o in index.spec.operations if o.operation_id == op_id))
    return index.check_response(rules, status, headers or JSON, json.dumps(body).encode(), True)


def test_a_status_is_declared_by_itself_its_range_or_default():
    responses = {"200": {}, "429": {}, "5XX": {}}
    assert response_key(responses, 200) == "200" and response_key(responses, "429") == "429"
    assert response_key(responses, 503) == "5XX" and response_key(responses, 500) == "5XX"
    assert response_key(responses, 418) is None and response_key(responses, 201) is None
    assert response_key({"default": {}}, 418) == "default"
    assert response_key({"default": {}}, 418, default=False) is None
    assert response_key({"4xx": {}}, 404) == "4xx"


@pytest.mark.parametrize("api", ["stagepro", "stagerai"])
def test_every_operation_declares_a_guessed_429_and_5xx(api, pro, rai):
    classifier = pro if api == "stagepro" else rai
    for op in classifier.spec.operations:
        for status in (429, 500, 502, 503, 504):
            verdict = classifier.book.status(op, status)
            assert verdict.rule == GUESS, (op.operation_id, status, verdict)
            assert "429 nor 5xx" in str(verdict.guess)


@pytest.mark.parametrize(("op_id", "status"), [
    ("getUsage", 418),   # a 4xx the operation does not list
    ("getUsage", 404),
    ("getUsage", 201),   # another 2xx where the spec guesses 200
    ("createJob", 404),
])
def test_an_undeclared_2xx_or_4xx_stays_unspecified(pro, op_id, status):
    assert pro.book.status(pro.operation(op_id), status).rule == UNSPECIFIED


def test_another_2xx_where_a_reference_states_the_success_stays_documented(pro):
    assert pro.book.status(pro.operation("createJob"), 200).rule == DOCUMENTED


def test_a_rate_limit_in_the_apis_envelope_is_no_finding(pro, rai):
    body = {"error": {"code": "rate_limited", "message": "slow down", "field": None}}
    assert _answer(pro.index, "getUsage", 429, body, {**JSON, "retry-after": "1"}) == []
    assert _answer(pro.index, "createJob", 503, body) == []
    assert _answer(rai.index, "uploadImage", 500, {"success": False, **body}) == []


def test_a_real_servers_own_429_or_5xx_body_breaks_only_the_guessed_envelope(pro, rai):
    found = _answer(pro.index, "getUsage", 429, {"message": "Too Many Requests"})
    assert found and all(v["rule"] == GUESS for v in found), found
    assert any(v["field"] == "body.error" and "envelope is this mock" in str(v["guess"])
               for v in found)
    found = _answer(rai.index, "stageImage", 502, {"error": "upstream"})
    assert found and all(v["rule"] == GUESS for v in found), found
    # a gateway's HTML page: the content type breaks the guessed answer, not a documented one
    found = pro.index.check_response(pro.index._rules(pro.operation("getJob")), 504,
                                     {"content-type": "text/html"}, b"<html></html>", True)
    assert [v["field"] for v in found] == ["Content-Type"] and found[0]["rule"] == GUESS


def test_an_undeclared_status_answered_by_a_real_server_is_still_unspecified(pro):
    [teapot] = _answer(pro.index, "getUsage", 418, {"error": {"code": "x", "message": "y"}})
    assert teapot["rule"] == UNSPECIFIED and "418" in str(teapot["message"])


def test_the_gcs_urls_declare_the_xml_error(rai):
    op = rai.operation("putSignedUpload")
    for status in (429, 503):
        key = response_key(op.responses, status)
        assert key is not None and "application/xml" in op.responses[key]["content"]


def test_a_fault_where_a_documented_status_is_expected_rests_on_the_guess(pro):
    # POST /jobs' 202 is documented; a 503 or 429 instead is a transient fault the spec
    # guesses, not a broken statement of the reference
    op = pro.operation("createJob")
    for status in (429, 503):
        assert pro.expected_status(op, status, (202,)).rule == GUESS
    # a documented 4xx instead of the documented 202 still breaks the reference
    assert pro.expected_status(op, 400, (202,)).rule == DOCUMENTED


def test_the_journal_report_counts_a_5xx_as_declared():
    entries = [{"api": "stagepro", "operation_id": "getUsage", "status": s}
               for s in (200, 500, 418)]
    ops = summarize(entries, [])["apis"]["stagepro"]["operations"]["getUsage"]
    assert ops["undocumented"] == ["418"] and "5XX" in ops["documented"]
