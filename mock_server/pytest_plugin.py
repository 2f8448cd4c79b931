"""pytest plugin (entry point ``pytest11: stagemock``) for integrators' test suites.

Fixtures:
- ``stagemock_server`` (session): the mock on a free port, deterministic (virtual clock);
  ``--stagemock-port N`` / ``$STAGEMOCK_PORT`` pins the port (plus the xdist worker's number).
  With ``--stagemock-url URL`` an already running mock is used instead (its control plane is
  asked once, before the first test: a missing token is one line naming
  ``--stagemock-token``).
- ``stagepro_mock`` / ``stagerai_mock`` (function): an isolated key for this test
  (``sk_test_<test>`` / ``stager_test_<test>``), ``base_url``, ``advance(seconds)``,
  ``journal()``, ``client()``, ``console()``, ``fault(...)`` (a fault rule scoped to the key,
  removed at the test's end; ``resilience()`` says what the client did about it). Every test
  starts from a freshly started mock
  (clock at 2026-01-01T00:00:00Z): the server is reset after each test that used one. With
  ``--stagemock-url`` only the test's key is reset (the server is shared). Parallel tests
  (xdist) never collide: each worker runs its own server and each test its own key.

``stagepro_webhook_receiver`` (function): a real webhook receiver on a free port, or the one
``--stagemock-webhook-port N`` / ``$STAGEMOCK_WEBHOOK_PORT`` pins (plus the xdist worker's number).

``--stagemock-strict`` (or the ``stagemock_strict`` marker) fails a test whose client sent a
request that violates the spec, naming each such request, or mishandled an injected fault
(``mock_server.faults.resilience``).

``--stagemock-report FILE`` writes the session's ``stagemock journal-report`` (operations and
codes exercised, violations, webhook events, resilience; ``FILE.json``: as JSON) at its end,
and ``--stagemock-fail-on violations|guesses|resilience|never`` (default ``never``) fails the
session when the requests of all its tests break that gate. Each test's journal entries and
webhook deliveries are collected before its reset wipes them (only when one of the two is
given); under pytest-xdist each worker hands its own to the controller, which writes one
report.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Protocol

import pytest

from ._plugin_api import MockApi
from ._plugin_report import Collected
from ._plugin_server import Remote, cannot_listen, pinned_port, refuse, remote_problem
from .argtypes import non_negative_int, port_number
from .control import ControlPlane
from .mounts import base_url

if TYPE_CHECKING:  # imported on first use: pytest loads this plugin in every run


    from .testing import WebhookReceiver

    class WorkerNode(Protocol):
        """What ``pytest_testnodedown`` reads of pytest-xdist's worker (xdist is optional:
        its class is not imported); ``workeroutput`` and ``gateway`` are looked up with
        ``getattr``/``hasattr``."""

        config: pytest.Config


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stagemock")
    group.addoption(
        "--stagemock-url", default=None, help="use a running stagemock at this URL"
    )
    group.addoption(
        "--stagemock-token",
        default=None,
        help="control-plane token of the running stagemock (default: $STAGEMOCK_ADMIN_TOKEN)",
    )
    group.addoption(
        "--stagemock-strict",
        action="store_true",
        help="fail tests whose requests to stagemock violate the spec",
    )
    group.addoption(
        "--stagemock-lenient",
        action="store_true",
        help="the mock accepts requests that break only its guessed rules (x-stagemock-guess) "
        "and journals a warning for each, as `stagemock serve --lenient`",
    )
    group.addoption(
        "--stagemock-image-workers",
        type=non_negative_int,
        default=1,
        help="worker processes for the mock's image work (default 1 per test process; "
        "0: in the server's process)",
    )
    group.addoption(
        "--stagemock-port",
        type=port_number,
        default=None,
        help="port of the plugin's mock (default: $STAGEMOCK_PORT, else a free port); under "
        "pytest-xdist each worker adds its number (gw0 +0, gw1 +1, ...)",
    )
    group.addoption(
        "--stagemock-webhook-port",
        type=port_number,
        default=None,
        help="port of stagepro_webhook_receiver (default: $STAGEMOCK_WEBHOOK_PORT, else a free "
        "port); under pytest-xdist each worker adds its number (gw0 +0, gw1 +1, ...)",
    )
    group.addoption(
        "--stagemock-report",
        default=None,
        metavar="FILE",
        help="write the session's journal-report here at its end: operations and codes "
        "exercised by all tests (every xdist worker's), violations, webhook events, resilience "
        "(a name ending in .json: the report as JSON)",
    )
    group.addoption(
        "--stagemock-fail-on",
        default=None,
        choices=("violations", "guesses", "resilience", "never"),
        help="fail the session when its tests' requests violated a documented rule "
        "(violations), any rule including the mock's guesses (guesses), a documented rule or "
        "mishandled an injected fault (resilience); default never: the report only reports",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "stagemock_strict: fail the test if a request to stagemock violates the spec"
    )
    report = config.getoption("--stagemock-report")
    fail_on = config.getoption("--stagemock-fail-on") or "never"
    if report or fail_on != "never":
        config.stash[_COLLECTED] = Collected(report, fail_on)


@pytest.fixture(scope="session")
def stagemock_server(request: pytest.FixtureRequest) -> Iterator[ControlPlane]:
    url = request.config.getoption("--stagemock-url")
    if url:
        token = request.config.getoption("--stagemock-token")
        token_from = "--stagemock-token" if token else None
        if not token and os.environ.get("STAGEMOCK_ADMIN_TOKEN"):
            token, token_from = os.environ["STAGEMOCK_ADMIN_TOKEN"], "$STAGEMOCK_ADMIN_TOKEN"
        remote = Remote(url, token)
        problem = remote_problem(remote, url, token_from)
        if problem is not None:
            remote.stop()
            refuse(request, problem)
        try:
            yield remote
        finally:
            remote.stop()
        return
    from .settings import Settings
    from .testing import RunningServer

    workers = request.config.getoption("--stagemock-image-workers")
    lenient = request.config.getoption("--stagemock-lenient")
    port, source = pinned_port(request, "--stagemock-port", "STAGEMOCK_PORT")
    try:
        server = RunningServer(
            Settings(deterministic=True, image_workers=workers, lenient=lenient), port=port
        )
    except OSError as exc:
        refuse(request, cannot_listen(port, source, exc, "--stagemock-port"))
    server.start()
    try:
        yield server
    finally:
        collected = _collected(request.config)
        if collected is not None:  # requests after the last per-test reset (or without one)
            collected.collect(server, None)
        server.stop()


def _key_suffix(nodeid: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", nodeid.split("::")[-1])[:40].strip("_")
    digest = hashlib.blake2b(nodeid.encode(), digest_size=5).hexdigest()
    return f"{slug}_{digest}"


def _begin(server: ControlPlane, key: str) -> None:
    """A server someone else runs may remember this key from an earlier run: forget it. Our
    own server is as freshly started at every test's start (see ``_end``): no round trip."""
    if isinstance(server, Remote):
        server.reset(key)


def _end(api: MockApi, collected: Collected | None = None) -> None:
    """Our own server is private to this pytest process, whose tests run one at a time: forget
    everything, clock included, so the next test starts at 2026-01-01T00:00:00Z with the
    fixture accounts as shipped, whatever this one did (its bytes cannot depend on the tests
    before it). A server someone else runs is shared: only this test's key is forgotten, and
    its clock is not rewound. When the session's report is asked for, what the test did is
    collected first."""
    if collected is not None:
        collected.collect(api.server, api.api_key)
    if isinstance(api.server, Remote):
        api.server.reset(api.api_key)
    else:
        api.server.reset()
        if collected is not None:
            collected.after_full_reset()


_COLLECTED = pytest.StashKey[Collected]()


def _collected(config: pytest.Config) -> Collected | None:
    return config.stash.get(_COLLECTED, None)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    collected = _collected(session.config)
    if collected is None:
        return
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller writes the report
        workeroutput["stagemock_report"] = collected.export()
        return
    passed = session.exitstatus == pytest.ExitCode.OK
    if collected.finish(tests_passed=passed) and passed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: WorkerNode, error: object) -> None:
    """pytest-xdist's controller: a worker is done; its collected entries join ours."""
    collected = _collected(node.config)
    if collected is None:
        return
    exported = getattr(node, "workeroutput", {}).get("stagemock_report")
    if exported is None:
        name = node.gateway.id if hasattr(node, "gateway") else str(node)
        collected.problems.append(f"xdist worker {name} ended without handing over its entries"
                                  + (f" ({error})" if error else ""))
        return
    collected.merge(exported)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    collected = _collected(config)
    if collected is not None and collected.summary:
        terminalreporter.write_sep("-", "stagemock report")
        terminalreporter.write_line(collected.summary)


def _strict(item: pytest.Item) -> bool:
    return bool(
        item.config.getoption("--stagemock-strict")
        or item.get_closest_marker("stagemock_strict")
    )


def _violation_lines(api: MockApi) -> list[str]:
    return [
        f"{e['method']} {e['path']}{'?' + e['query'] if e.get('query') else ''} "
        f"({e['operation_id'] or 'no operation'}): "
        + "; ".join(
            (f"{v['field']}: " if v.get("field") else "") + v["message"] for v in e["violations"]
        )
        for e in api.violations()
    ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Strict mode: a test whose client sent a request that violates the spec FAILS (in its
    call phase, naming each request), rather than erroring at teardown."""
    result = yield
    funcargs = getattr(item, "funcargs", {})
    apis = [funcargs[n] for n in ("stagepro_mock", "stagerai_mock") if n in funcargs]
    if apis and _strict(item):
        lines = [line for api in apis for line in _violation_lines(api)]
        # both fixtures of a test see the same journal when they share a key: say it once
        handled = list(dict.fromkeys(line for api in apis for line in api.resilience()))
        parts = []
        if lines:
            parts.append("requests that violate the spec:\n  " + "\n  ".join(lines))
        if handled:
            parts.append("the client mishandled injected faults:\n  " + "\n  ".join(handled))
        if parts:
            pytest.fail("stagemock strict mode: " + "\n".join(parts), pytrace=False)
    return result


@pytest.fixture
def stagepro_mock(stagemock_server: ControlPlane,
                  request: pytest.FixtureRequest) -> Iterator[MockApi]:
    key = "sk_test_" + _key_suffix(request.node.nodeid)
    _begin(stagemock_server, key)
    api = MockApi(
        stagemock_server,
        base_url(stagemock_server.url, "stagepro"),
        key,
        {"Authorization": f"Bearer {key}"},
    )
    try:
        yield api
    finally:
        _end(api, _collected(request.config))


@pytest.fixture
def stagerai_mock(stagemock_server: ControlPlane,
                  request: pytest.FixtureRequest) -> Iterator[MockApi]:
    key = "stager_test_" + _key_suffix(request.node.nodeid)
    _begin(stagemock_server, key)
    api = MockApi(stagemock_server, base_url(stagemock_server.url, "stagerai"), key,
                  {"stager-api-key": key}, api="stagerai")
    try:
        yield api
    finally:
        _end(api, _collected(request.config))


@pytest.fixture
def stagepro_webhook_receiver(
    request: pytest.FixtureRequest,
) -> Iterator[WebhookReceiver]:
    """A real HTTP receiver for StagePro webhooks (see ``mock_server.testing.WebhookReceiver``):
    ``url``, ``events``, ``deliveries``, ``respond_with([...])``, ``wait_for(n)``,
    ``stop()`` / ``start()``. On a free port, or the one ``--stagemock-webhook-port`` /
    ``$STAGEMOCK_WEBHOOK_PORT`` pins (plus the xdist worker's number)."""
    from .testing import WebhookReceiver

    port, source = pinned_port(request, "--stagemock-webhook-port", "STAGEMOCK_WEBHOOK_PORT")
    try:
        receiver = WebhookReceiver(port=port).start()
    except OSError as exc:
        refuse(request, cannot_listen(port, source, exc, "--stagemock-webhook-port"))
    try:
        yield receiver
    finally:
        receiver.stop()
