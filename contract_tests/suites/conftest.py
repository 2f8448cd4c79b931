"""Fixtures of the property suites: the target comes from the runner (environment).

Every test carries ``@check("<name>", api=...)`` (``contract_tests/checks.py``); the runner
selects by name and API (``STAGEMOCK_CONTRACT_CHECKS``), never by test-name text. Each test's
last request to the API is recorded; a failing test's JUnit entry carries the check's name,
the operation, a plain message and that request as ``curl`` (read by ``report.py``), and
``guess`` (the spec's reason) when the failure rests only on a guessed rule of the spec: the
failure says so itself (``helpers.RuleFailure``) or, unattributed, the test ``rests_on`` a
guessed rule (``checks.check``).
"""

from __future__ import annotations

import dataclasses
import json
import os

import httpx
import pytest

from contract_tests.checks import MARKER
from contract_tests.curl import LastRequest, as_curl, operation_of
from contract_tests.target import Target
from mock_server.spec.rules import DOCUMENTED, UNSPECIFIED, Verdict

from .helpers import NOTED, RuleFailure, WrongStatus, classifier, strongest

ENV_CHECKS = "STAGEMOCK_CONTRACT_CHECKS"
#: A file the suites append their progress to, one JSON line per event, for ``stagemock
#: check`` to show while they run (``contract_tests/progress.py``): ``{"collected": n}``,
#: then per test ``{"started", "check"}`` and ``{"test", "check", "outcome"}``.
ENV_PROGRESS = "STAGEMOCK_CONTRACT_PROGRESS"
_LAST = LastRequest()
#: The last exchange with the API: what a failure that read a missing field was reading.
_ANSWERS: list[tuple[httpx.Request, httpx.Response]] = []


def _progress(event: dict) -> None:
    path = os.environ.get(ENV_PROGRESS)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(event) + "\n")


def _check_name(item) -> str:
    mark = item.get_closest_marker(MARKER)
    return mark.kwargs["name"] if mark is not None else "?"


def pytest_collection_finish(session):
    _progress({"collected": len(session.items)})


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _progress({"started": item.name, "check": _check_name(item)})


def _report_progress(item, report) -> None:
    """The outcome of a test, once: its call, or the setup that skipped or broke it."""
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _progress({"test": item.name, "check": _check_name(item), "outcome": report.outcome})


def pytest_configure(config):
    config.addinivalue_line("markers", f"{MARKER}(name, api): the contract check a test runs")


def _target_api() -> str | None:
    raw = os.environ.get("STAGEMOCK_CONTRACT_TARGET")
    return json.loads(raw)["api"] if raw else None


def pytest_collection_modifyitems(config, items):
    api = _target_api()
    wanted = {n for n in os.environ.get(ENV_CHECKS, "").split(",") if n}
    keep, drop = [], []
    for item in items:
        mark = item.get_closest_marker(MARKER)
        if mark is None:
            raise pytest.UsageError(f"{item.nodeid} carries no @check(...): register it")
        ok = (api is None or mark.kwargs["api"] == api) and (
            not wanted or mark.kwargs["name"] in wanted
        )
        (keep if ok else drop).append(item)
        if ok:
            own = mark.kwargs["api"]
            for pointer in mark.kwargs.get("rests_on") or ():
                try:
                    classifier(own).rule_guess(pointer)
                except (KeyError, IndexError, TypeError, ValueError):
                    raise pytest.UsageError(
                        f"{item.nodeid}: rests_on {pointer!r} names nothing in the {own} spec"
                    ) from None
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def _record_last_request(target):
    """Record every request the test sends to the API (not to ``/__mock/``)."""
    _LAST.clear()
    original = httpx.HTTPTransport.handle_request

    def handle(self, request):
        mine = "/__mock/" not in request.url.path and str(request.url).startswith(target.base_url)
        if mine:
            _LAST.set(request)
        response = original(self, request)
        if mine:
            _ANSWERS[:] = [(request, response)]
        return response

    httpx.HTTPTransport.handle_request = handle
    try:
        yield
    finally:
        httpx.HTTPTransport.handle_request = original


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    _report_progress(item, report)
    if report.when != "call" or not report.failed:
        return
    mark = item.get_closest_marker(MARKER)
    raw = os.environ.get("STAGEMOCK_CONTRACT_TARGET")
    if mark is None or not raw:
        return
    target = Target(**json.loads(raw))
    request = _LAST.get()
    exc = call.excinfo.value if call.excinfo else None
    where = f"{request.method} {request.url.path}" if request is not None else "the API"
    props = [("check", mark.kwargs["name"]), ("message", in_words(exc, where))]
    if all(isinstance(leaf, WrongStatus) for leaf in leaves(exc)):  # the meaning would mislead
        props.append(("plain", "1"))
    rests_on = mark.kwargs.get("rests_on") or ()
    guess = _guess(exc, target.api, rests_on)
    if guess:
        props.append(("guess", guess))
    props.append(("findings", json.dumps(_findings(exc, target.api, rests_on, where))))
    if request is not None:
        path = request.url.path
        props.append(("operation", operation_of(target.api, request.method, path, target.base_url)))
        props.append(("curl", as_curl(request)))
    item.user_properties.extend(props)
    report.user_properties.extend(props)


def leaves(exc: BaseException | None) -> list[BaseException]:
    """The failures themselves: hypothesis wraps several distinct ones in an exception
    group (``Hypothesis found 2 distinct failures``), possibly nested."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in leaves(sub)]
    return [exc] if exc is not None else []


def _one(exc: BaseException, where: str) -> str:
    if isinstance(exc, AssertionError):
        text = str(exc).split("\nassert ")[0].strip() or "an assertion failed"
    else:  # a body that lacks a field or is not JSON: say so in words
        text = f"{where} answered something unexpected ({type(exc).__name__}: {exc})"
    return text.splitlines()[0]


def in_words(exc: BaseException | None, where: str) -> str:
    """One line: the failure in words, or each distinct failure of a group, numbered."""
    found = list(dict.fromkeys(_one(leaf, where) for leaf in leaves(exc)))
    if not found:
        return "the test failed"
    if len(found) == 1:
        return found[0]
    return f"{len(found)} distinct failures: " + "; ".join(
        f"({i}) {text}" for i, text in enumerate(found, 1))


@pytest.hookimpl(hookwrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    """Raise, with the test's own failure, what it noted and went on past (``helpers.note``)."""
    NOTED.clear()
    outcome = yield
    if NOTED:
        found: list[Exception] = list(NOTED)
        NOTED.clear()
        if outcome.excinfo is not None and isinstance(outcome.excinfo[1], Exception):
            found.append(outcome.excinfo[1])
        outcome.force_exception(ExceptionGroup("findings noted along the way", found))


def verdict_of(exc: BaseException | None, api: str, rests_on: tuple[str, ...]) -> Verdict:
    """What one failure rests on: its own attribution (``helpers.RuleFailure``); for a field
    an answer lacked (a ``KeyError`` reading it), the rule that field stands on in that
    answer's schema; for any other failure, the rules the test ``rests_on`` (a guess if one
    is), documented when it names none."""
    if isinstance(exc, RuleFailure):
        return exc.verdict
    if type(exc).__module__.startswith("hypothesis"):
        # hypothesis could not replay a failure (a server whose time is real answers
        # differently the second time): the finding is the harness's, no rule of the spec
        return Verdict(UNSPECIFIED)
    c = classifier(api)
    if isinstance(exc, KeyError) and _ANSWERS and exc.args:
        request, response = _ANSWERS[0]
        op = c.operation(operation_of(api, request.method, request.url.path,
                                      _target_base()).split(" ")[0])
        if op is not None:
            return c.field_verdict(op, response.status_code, str(exc.args[0]))
    verdicts = [c.pointer_verdict(p) for p in rests_on]
    return strongest(verdicts) if verdicts else Verdict(DOCUMENTED)


def _findings(exc: BaseException | None, api: str, rests_on: tuple[str, ...],
              where: str) -> list[dict[str, str]]:
    """One finding per distinct failure, each with its verdict (read by ``report.py``)."""
    groups: dict[tuple[str, ...], list[BaseException]] = {}
    verdicts: dict[tuple[str, ...], Verdict] = {}
    for leaf in leaves(exc):
        verdict = verdict_of(leaf, api, rests_on)
        key = (verdict.rule, verdict.source or "", verdict.guess or "")
        groups.setdefault(key, []).append(leaf)
        verdicts[key] = verdict
    if not groups:
        return [{"message": "the test failed", **_text(verdict_of(None, api, rests_on))}]
    # failures resting on the same rule are one finding, each said (in_words numbers them)
    return [{"message": in_words(BaseExceptionGroup("", found) if len(found) > 1
                                 else found[0], where), **_text(verdicts[key])}
            for key, found in groups.items()]


def _text(verdict: Verdict) -> dict[str, str]:
    return {k: str(v) for k, v in verdict.fields().items() if v is not None}


def _target_base() -> str:
    raw = os.environ.get("STAGEMOCK_CONTRACT_TARGET")
    return str(json.loads(raw)["base_url"]) if raw else ""


def _guess(exc: BaseException | None, api: str, rests_on: tuple[str, ...]) -> str | None:
    """The guess a failure rests on only (``None``: documented); a group of failures rests
    only on guesses when each of them does."""
    found: list[BaseException | None] = list(leaves(exc)) or [None]
    guesses = [_guess_of(leaf, api, rests_on) for leaf in found]
    if not all(guesses):
        return None
    return "; ".join(dict.fromkeys(g for g in guesses if g))


def _guess_of(exc: BaseException | None, api: str, rests_on: tuple[str, ...]) -> str | None:
    if isinstance(exc, RuleFailure):  # attributed by the assertion itself
        return exc.guess
    guesses = []
    for pointer in rests_on:
        why = classifier(api).rule_guess(pointer)
        if why:
            guesses.append(f"`{pointer}`: {why}")
    return "; ".join(guesses) or None


@pytest.fixture(scope="session")
def target() -> Target:
    raw = os.environ.get("STAGEMOCK_CONTRACT_TARGET")
    if not raw:
        pytest.skip("no target: run through `stagemock check` / `python -m contract_tests`")
    t = Target(**json.loads(raw))
    if t.has_control_plane and t.api_key.startswith(("sk_test_", "stager_test_")):
        # On the mock, a fresh test key: the fuzzing phase left thousands of queued jobs on
        # the first one, and FIFO queues would make every lifecycle check wait behind them.
        t = dataclasses.replace(t, api_key=t.api_key + "_properties")
    return t


@pytest.fixture(scope="session")
def client(target: Target):
    with httpx.Client(base_url=target.base_url, headers=target.auth_headers(), timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
def control_plane(target: Target):
    if not target.has_control_plane:
        pytest.skip("needs the stagemock control plane (/__mock/), which this server lacks")
    from mock_server.control import ControlPlane

    control = ControlPlane(target.root_url)
    try:
        yield control
    finally:
        control.close()
