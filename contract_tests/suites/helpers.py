"""Shared pieces of the property suites (vendor API only, plus /__mock/ when present).

Guess-aware assertions: a property failure says which rule of the spec it rests on, and
whether that rule is a guess (``x-stagemock-guess``) is read from the spec, never written by
hand. Two ways, both declarative:

- the assertions of this module attribute their own failures: :func:`expect_status` (the
  statuses a step expects) and :func:`field` (the fields an answer must have) raise
  :class:`RuleFailure`, whose ``guess`` is the spec's reason when the broken rule is a guess
  (``contract_tests.guesses.Classifier.status_guesses`` / ``body_guesses``, the rules the
  schemathesis findings are classified by) and ``None`` when it is documented;
- a test whose premise is a guessed rule names it: ``@check(..., rests_on=("<json pointer
  into the spec>",))``; any other failure of that test (a plain ``assert``) rests on the
  guesses among those rules (``Classifier.rule_guess``). An attributed failure keeps its
  own attribution (a documented 202 stays documented in a test resting on a guess).

``suites/conftest.py`` writes the guess into the failing test's JUnit entry (property
``guess``); ``report.run_properties`` reports it apart like a schemathesis guess.
"""

from __future__ import annotations

import functools
import json
import os
import time
from typing import Any

import httpx

from contract_tests.target import SPECS, Target


class RuleFailure(AssertionError):
    """A failed assertion attributed to a rule of the spec: ``guess`` is the spec's reason
    when that rule is a guess, ``None`` when it is documented."""

    def __init__(self, message: str, guess: str | None = None) -> None:
        super().__init__(message)
        self.guess = guess


@functools.cache
def classifier(api: str) -> Any:
    from contract_tests.guesses import Classifier

    return Classifier(SPECS[api], api)


def _operation(r: httpx.Response) -> Any:
    """The spec's operation ``r`` answered (``None`` when none matches)."""
    from contract_tests.curl import operation_of

    raw = os.environ.get("STAGEMOCK_CONTRACT_TARGET")
    if not raw:
        return None
    target = json.loads(raw)
    text = operation_of(target["api"], r.request.method, r.request.url.path, target["base_url"])
    return classifier(target["api"]).operation(text.split(" ")[0]) if "(" in text else None


def expect_status(r: httpx.Response, *statuses: int) -> None:
    """Assert ``r`` answered one of ``statuses`` (those the spec gives for this step). When
    it did not and every expected status is a guess of the spec (another 2xx where a guessed
    2xx is expected; a non-5xx where a guessed error status is), the failure is a guess. So
    where refusing at all is documented (a missing key, another account's object), assert
    that first (``assert not r.is_success``): only the refusal's status is then a guess."""
    if r.status_code in statuses:
        return
    op = _operation(r)
    guesses = classifier(op.api).status_guesses(op, r.status_code, statuses) if op else ()
    wanted = " or ".join(str(s) for s in statuses)
    raise RuleFailure(f"{_what(r)} answered {r.status_code}, not {wanted}: {r.text[:200]}",
                      "; ".join(guesses) or None)

ORDER = {"queued": 0, "processing": 1, "completed": 2, "failed": 2}
TERMINAL = {"completed", "failed"}


def _what(r: httpx.Response) -> str:
    return f"{r.request.method} {r.request.url.path}"


def field(r: httpx.Response, *keys: str) -> dict[str, Any]:
    """The JSON object ``r`` answered, asserting (in words) that it has ``keys``."""
    try:
        body = r.json()
    except ValueError:
        raise AssertionError(
            f"{_what(r)} answered {r.status_code} with a body that is not JSON: {r.text[:200]!r}"
        ) from None
    if not isinstance(body, dict):
        raise AssertionError(f"{_what(r)} answered {r.status_code} with {type(body).__name__}, "
                             "not a JSON object")
    missing = [k for k in keys if k not in body]
    if missing:
        names = ", ".join(f"`{k}`" for k in missing)
        op = _operation(r)
        guesses = classifier(op.api).body_guesses(op, r.status_code, body) if op else ()
        message = f"{_what(r)} answered {r.status_code} without {names}"
        if guesses:  # the answer breaks only guesses of its schema
            raise RuleFailure(message, "; ".join(guesses))
        raise AssertionError(message)
    return body


def status_of(r: httpx.Response) -> str:
    """A job's status, asserting it is one the spec knows."""
    expect_status(r, 200)
    status = field(r, "status")["status"]
    assert status in ORDER, f"{_what(r)} answered a job with an unknown status {status!r}"
    return status


@functools.cache
def _control(root_url: str) -> Any:
    """One pooled control-plane client per mock for the whole run."""
    from mock_server.control import ControlPlane

    return ControlPlane(root_url, timeout=10)


def let_time_pass(target: Target, seconds: float) -> None:
    """Virtual clock on the mock; real waiting elsewhere."""
    if target.has_control_plane:
        _control(target.root_url).advance(seconds)
    else:
        time.sleep(min(seconds, 5))


def wait_terminal(
    client: httpx.Client, target: Target, job_id: str, budget: float = 120
) -> dict[str, Any]:
    """Poll a job until it is terminal, within a bounded number of polls; statuses only move
    forward on the way."""
    seen = -1
    waited = 0.0
    while True:
        r = client.get(f"/jobs/{job_id}")
        status_of(r)
        job = r.json()
        rank = ORDER[job["status"]]
        assert rank >= seen, f"job {job_id} moved backwards to {job['status']}"
        seen = rank
        if job["status"] in TERMINAL:
            again = status_of(client.get(f"/jobs/{job_id}"))
            assert again == job["status"], (
                f"job {job_id} moved backwards from {job['status']} to {again}"
            )
            return job
        assert waited < budget, f"job {job_id} still {job['status']} after {budget:.0f} s"
        let_time_pass(target, 5)
        waited += 5
