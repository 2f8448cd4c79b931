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
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import httpx

from contract_tests.target import SPECS, Target
from mock_server.jsontypes import JsonObject
from mock_server.spec.rules import DOCUMENTED, GUESSED, Verdict

if TYPE_CHECKING:
    from contract_tests.guesses import Classifier
    from mock_server.control import ControlPlane
    from mock_server.spec.loader import Operation

T = TypeVar("T")


class RuleFailure(AssertionError):
    """A failed assertion attributed to a rule of the spec: its ``verdict``
    (``mock_server.spec.rules``: documented with its source, guess with the spec's reason,
    or unspecified); ``guess`` alone makes it a guess, nothing a documented one."""

    def __init__(self, message: str, guess: str | None = None,
                 verdict: Verdict | None = None) -> None:
        super().__init__(message)
        self.verdict = verdict or (Verdict(GUESSED, guess=guess) if guess
                                   else Verdict(DOCUMENTED))
        self.guess = self.verdict.guess if self.verdict.rule == GUESSED else None


#: Findings a test noted and went on past (a success answered with another 2xx: the body is
#: still usable, so a later break is still seen); ``checks.check`` raises them at its end.
NOTED: list[RuleFailure] = []


def note(failure: RuleFailure) -> None:
    """Keep ``failure`` for the end of the test and go on (once per distinct message)."""
    if all(str(f) != str(failure) for f in NOTED):
        NOTED.append(failure)


def strongest(verdicts: list[Verdict]) -> Verdict:
    """Several rules at once: documented if any is, else the guesses, else unspecified."""
    from contract_tests.guesses import _strongest

    return _strongest(verdicts)


@functools.cache
def classifier(api: str) -> Classifier:
    from contract_tests.guesses import Classifier

    return Classifier(SPECS[api], api)


def _operation(r: httpx.Response) -> Operation | None:
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
    verdict = classifier(op.api).expected_status(op, r.status_code, statuses) if op else None
    wanted = " or ".join(str(s) for s in statuses)
    if r.is_success and all(200 <= s < 300 for s in statuses):
        # another success: its body still serves the rest of the test (said once per path)
        note(RuleFailure(f"{r.request.method} {_template(r)} answered {r.status_code}, not "
                         f"{wanted}", verdict=verdict))
        return
    raise RuleFailure(f"{_what(r)} answered {r.status_code}, not {wanted}: {r.text[:200]}",
                      verdict=verdict)


def _template(r: httpx.Response) -> str:
    """The spec's path of the operation ``r`` answered (ids left out), else the path."""
    op = _operation(r)
    return op.path if op is not None else r.request.url.path

class WrongStatus(RuleFailure):
    """A success status answered with an error body of the spec: a wrong status, said as
    "expected 404, got 200", not as whatever the test checks (``stagemock check`` leaves the
    check's meaning out of the line)."""


def _misplaced(r: httpx.Response) -> str | None:
    """"expected 404, got 200: the body is a `not_found` error (…)" when ``r`` is a 2xx
    whose body is an error of the spec (``Classifier.misplaced_error``)."""
    if not r.is_success:
        return None
    op = _operation(r)
    try:
        body = r.json()
    except ValueError:
        return None
    return classifier(op.api).misplaced_error(op, r.status_code, body) if op else None


def refused(r: httpx.Response, what: str, *statuses: int) -> None:
    """Assert ``r`` refused (not 2xx), with one of ``statuses``. That it refuses at all is
    documented (``what`` says what a success would mean: "another account read job …");
    a 2xx carrying an error body is a wrong status, said so; which refusal status is a
    guess where the spec marks it so (:func:`expect_status`)."""
    misplaced = _misplaced(r)
    if misplaced:
        raise WrongStatus(f"{_what(r)}: {misplaced}")
    assert not r.is_success, f"{what} ({r.status_code})"
    expect_status(r, *statuses)


ORDER = {"queued": 0, "processing": 1, "completed": 2, "failed": 2}
TERMINAL = {"completed", "failed"}


def _what(r: httpx.Response) -> str:
    return f"{r.request.method} {r.request.url.path}"


def field(r: httpx.Response, *keys: str) -> JsonObject:
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
        c = classifier(op.api) if op else None
        verdicts = [c.field_verdict(op, r.status_code, k) for k in missing] if c and op else []
        message = f"{_what(r)} answered {r.status_code} without {names}"
        misplaced = _misplaced(r)
        if misplaced:  # an error answered 2xx: say the status, not the missing fields
            guesses = c.body_guesses(op, r.status_code, body) if c and op else ()
            raise WrongStatus(f"{_what(r)}: {misplaced}", "; ".join(guesses) or None)
        raise RuleFailure(message, verdict=strongest(verdicts) if verdicts else None)
    return body


def url_of(r: httpx.Response, name: str) -> str:
    """The URL field ``name`` of ``r``'s answer. An answer that gives its one URL under
    another name (a renamed ``uploadUrl``) has the missing field noted, and the test goes on
    with the URL it was given."""
    body = field(r)
    if isinstance(body.get(name), str):
        return str(body[name])
    op = _operation(r)
    verdict = classifier(op.api).field_verdict(op, r.status_code, name) if op else None
    failure = RuleFailure(f"{_what(r)} answered {r.status_code} without `{name}`",
                          verdict=verdict)
    others = [v for v in body.values() if isinstance(v, str) and v.startswith("http")]
    if len(others) != 1:
        raise failure
    note(failure)
    return str(others[0])


def status_of(r: httpx.Response) -> str:
    """A job's status. One the spec does not list is noted with its verdict (a guess while
    the list holds a guessed value it may stand for: ``running`` for ``processing``) and
    taken as work in progress: a job that rests there never ends, which
    :class:`NeverCompleted` says (documented: the reference's jobs end ``completed`` or
    ``failed``)."""
    expect_status(r, 200)
    status = field(r, "status")["status"]
    if status not in ORDER:
        op = _operation(r)
        verdict = classifier(op.api).value_verdict(op, r.status_code, "status") if op else None
        note(RuleFailure(f"{_what(r)} answered a job with a status the spec does not list "
                         f"({status!r})", verdict=verdict))
    return str(status)


@functools.cache
def _control(root_url: str) -> ControlPlane:
    """One pooled control-plane client per mock for the whole run."""
    from mock_server.control import ControlPlane

    return ControlPlane(root_url, timeout=10)


def let_time_pass(target: Target, seconds: float) -> None:
    """Virtual clock on the mock; real waiting elsewhere."""
    if target.has_control_plane:
        _control(target.root_url).advance(seconds)
    else:
        time.sleep(min(seconds, 5))


#: ``stagemock check --job-timeout``: seconds a job may take to end (virtual against the
#: mock, real elsewhere).
ENV_JOB_TIMEOUT = "STAGEMOCK_CONTRACT_JOB_TIMEOUT"
#: What never ended within the timeout in this run, against a server whose time is real:
#: a later wait fails at once instead of costing another timeout.
_NEVER_ENDED: list[str] = []


class NeverCompleted(RuleFailure):
    """A job (or an HDR group) did not end within the job timeout: the reference's own words
    are to poll until its documented end state (``ENDS``: the verdict of those values)."""


#: Where each API's reference states how asynchronous work ends (the ledger items).
ENDS = {"stagepro": "/components/schemas/JobStatus/enum#completed",
        "stagerai": "/components/schemas/HdrGroupCompleted/properties/status/const#completed"}


def job_timeout() -> float:
    return float(os.environ.get(ENV_JOB_TIMEOUT) or 120)


def wait_until_ended(target: Target, what: str, poll: Callable[[], tuple[str, T]],
                     budget: float | None = None) -> T:
    """Call ``poll()`` (→ ``(status, value)``) until the status is terminal, letting time
    pass between polls, at most ``budget`` seconds (``job_timeout()``); returns the last
    value. Raises :class:`NeverCompleted`, saying so in words, when it does not end; against
    a server without ``/__mock/`` (real time) once per run: later waits fail at once."""
    budget = job_timeout() if budget is None else budget
    ends = classifier(target.api).pointer_verdict(ENDS[target.api])
    if _NEVER_ENDED and not target.has_control_plane:
        raise NeverCompleted(f"{what}: not waited for, {_NEVER_ENDED[0]}", verdict=ends)
    waited, start = 0.0, time.monotonic()
    while True:
        status, value = poll()
        if status in TERMINAL:
            return value
        if not target.has_control_plane:
            waited = time.monotonic() - start
        if waited >= budget:
            said = f"{what} never completed within {budget:g} s (still {status}; --job-timeout)"
            if not target.has_control_plane:
                _NEVER_ENDED.append(said)
            raise NeverCompleted(said, verdict=ends)
        step = min(5.0, max(budget - waited, 0.5))
        let_time_pass(target, step)
        if target.has_control_plane:
            waited += step


def wait_terminal(
    client: httpx.Client, target: Target, job_id: str, budget: float | None = None
) -> JsonObject:
    """Poll a job until it is terminal, within the job timeout; statuses only move forward
    on the way, and a terminal job stays so."""
    seen = [-1]

    def poll() -> tuple[str, JsonObject]:
        r = client.get(f"/jobs/{job_id}")
        status_of(r)
        job = r.json()
        rank = ORDER.get(job["status"], ORDER["processing"])
        assert rank >= seen[0], f"job {job_id} moved backwards to {job['status']}"
        seen[0] = rank
        return job["status"], job

    job = wait_until_ended(target, f"job {job_id}", poll, budget)
    again = status_of(client.get(f"/jobs/{job_id}"))
    assert again == job["status"], f"job {job_id} moved backwards from {job['status']} to {again}"
    return job
