"""drift's edits are proven before they are printed (applied to a copy of the spec, the
recorded answer must become valid; none for what the spec already allows), and its curls
run after it ends, against the mock its printed ``stagemock serve`` line recreates."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys

import httpx
import pytest

from mock_server.proxy.drift_edits import Answer, place, proven
from mock_server.proxy.shapes import Difference
from mock_server.resources import data_dir
from mock_server.spec.loader import load_spec
from tests.proxy import deviating
from tests.proxy.test_replay import record_deviating
from tests.waiting import answering

DOC = load_spec("stagepro", data_dir("openapi") / "stagepro.yaml", "").document
JOB_BODY = {**deviating.JOB, "status": "processing", "started_at": "2026-01-01T00:00:01Z"}


def _job(**body: object) -> Answer:
    return Answer("getJob", 200, "application/json", {**JOB_BODY, **body})


def test_no_edit_for_a_field_that_already_allows_the_value():
    """The issue's case: a `processing` poll compared with a `queued` answer said `started_at`
    has string where the mock has null, and drift asked to change its type."""
    d = Difference("type", "body.started_at", "string", "null")
    printed, why = proven(d, _job(), DOC, "change its type")
    assert not printed and "already allows" in why
    queued = Difference("type", "body.started_at", "null", "string")
    assert not proven(queued, _job(status="queued", started_at=None), DOC, "allow null")[0]


def test_an_edit_is_printed_only_when_it_makes_the_answer_valid():
    d = Difference("type", "body.variation", "string", "integer")
    assert proven(d, _job(variation="two"), DOC, "allow string") == (True, "")
    # a value that breaks more than the type: allowing the type does not make it valid
    charged = Difference("type", "body.credits_charged", "string", "integer")
    printed, why = proven(charged, _job(credits_charged="two"), DOC, "allow string")
    assert not printed and "does not make the recorded answer valid" in why
    enum = Difference("enum", "body.status", "paused", "processing")
    assert proven(enum, _job(status="paused"), DOC, "add paused")[0]


def test_a_documented_status_asks_for_no_edit_an_undeclared_one_does():
    refused = Answer("createJob", 402, "application/json",
                     {"error": {"code": "insufficient_credits", "message": "m", "field": None}})
    d = Difference("status", "status", 402, 202)
    assert not proven(d, refused, DOC, "document 402")[0]
    regen = Answer("regenerateJob", 200, "application/json", deviating.JOB)
    d = Difference("status", "status", 200, 202, rule="guess")
    assert proven(d, regen, DOC, "make it 200")[0]


def test_place_reads_a_differences_where():
    assert place("body.output.images[0].url") == ("output", "images", 0, "url")


@pytest.mark.skipif(shutil.which("curl") is None, reason="runs the printed curl")
def test_the_curls_run_after_drift_ends_against_the_printed_serve_line(tmp_path):
    path = record_deviating(tmp_path / "real.jsonl")
    drift = subprocess.run([sys.executable, "-m", "mock_server", "drift", str(path), "--json"],
                           capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(drift.stdout)
    assert any("regenerateJob answers 200" in e for e in report["edits"]), report["edits"]
    assert any("does not send `credits`" in e for e in report["edits"]), report["edits"]
    serve, replay = report["reproduce"]
    assert re.fullmatch(r"stagemock serve --deterministic --seed 0 --port \d+", serve)
    port = serve.rsplit(" ", 1)[1]
    [regen] = [d for d in report["differences"] if d["operation_id"] == "regenerateJob"]
    assert f"http://127.0.0.1:{port}/api/v1/jobs/job_" in regen["curl"]
    # drift has ended: its mock is gone; the printed lines bring it back, state and all
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/__mock/health")
    proc = subprocess.Popen([sys.executable, "-m", "mock_server", *shlex.split(serve)[1:]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        answering(f"http://127.0.0.1:{port}/__mock/health", proc, timeout=30,
                  output=proc.stderr.read)
        again = subprocess.run([sys.executable, "-m", "mock_server",
                                *shlex.split(replay)[1:], "--json"],
                               capture_output=True, text=True, timeout=120, check=False)
        assert json.loads(again.stdout)["replayed"] == report["replayed"], again.stdout
        ran = subprocess.run(["bash", "-c", regen["curl"] + " -s -o /dev/null -w '%{http_code}'"],
                             capture_output=True, text=True, timeout=30, check=False)
        assert ran.stdout == str(regen["got"]), (ran.stdout, ran.stderr, regen)
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
