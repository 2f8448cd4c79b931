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

import argparse
import errno
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from .argtypes import non_negative_int, port_number
from .control import ControlPlane, ControlPlaneError

if TYPE_CHECKING:  # imported on first use: pytest loads this plugin in every run
    import httpx

#: Where each API lives below the server root (``--stagemock-url`` may name either).
_API_BASE_PATHS = ("/api/v1",)


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
        config.stash[_COLLECTED] = _Collected(report, fail_on)


class _Remote(ControlPlane):
    """A stagemock someone else started (``--stagemock-url``): its root URL or an API's base
    URL."""

    def __init__(self, url: str, token: str | None) -> None:
        root = url.rstrip("/")
        for suffix in _API_BASE_PATHS:
            if root.endswith(suffix):
                root = root[: -len(suffix)]
        super().__init__(root, token)

    def stop(self) -> None:
        self.close()


def _refuse(request: pytest.FixtureRequest, message: str) -> NoReturn:
    """A setup problem of the plugin's (a port in use, a missing token): this test ERRORs
    with the one line ``message`` (no traceback) and the run stops after it, also under
    pytest-xdist, instead of every test repeating it."""
    request.session.shouldstop = message
    pytest.fail(message, pytrace=False)


def _xdist_worker(config: pytest.Config) -> str | None:
    """``gw0``, ``gw1``, ... in a pytest-xdist worker; ``None`` otherwise."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return str(workerinput["workerid"])
    return os.environ.get("PYTEST_XDIST_WORKER") or None


def _pinned_port(request: pytest.FixtureRequest, option: str, env: str) -> tuple[int, str]:
    """The port ``option`` (else ``$env``) pins, plus the xdist worker's number (gw0 +0, gw1
    +1, ...), and how to name it in a message; ``(0, "")``: nothing pinned, any free port."""
    port = request.config.getoption(option)
    source = option
    if port is None:
        raw = os.environ.get(env, "").strip()
        if not raw:
            return 0, ""
        try:
            port = port_number(raw)
        except argparse.ArgumentTypeError as exc:
            _refuse(request, f"stagemock: ${env} {exc}")
        source = f"${env}"
    if port == 0:
        return 0, ""
    source = f"{source} {port}"
    worker = _xdist_worker(request.config)
    if worker is not None:
        port += int(re.sub(r"\D", "", worker) or 0)
        source += f" + xdist worker {worker}"
        if port > 65535:
            _refuse(request, f"stagemock: {source} is past 65535: pin a lower port")
    return port, source


#: Why binding a pinned port fails (in use, privileged, not this machine's): the user's to fix.
_BIND_ERRNOS = (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL)


def _cannot_listen(port: int, source: str, exc: OSError, option: str) -> str:
    if not port or exc.errno not in _BIND_ERRNOS:
        raise exc
    why = "already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
    return (f"stagemock: cannot listen on 127.0.0.1:{port} ({source}): {why}; pick another "
            f"port, or leave {option} unset for a free one")


def _remote_problem(remote: _Remote, url: str, token_from: str | None) -> str | None:
    """Why the control plane of the mock at ``--stagemock-url`` cannot be used (one line),
    asked once before any test: ``None`` when it answers."""
    try:
        r = remote.request("GET", "health")
    except ControlPlaneError as exc:
        return f"stagemock: --stagemock-url {url}: {exc}"
    if r.status_code == 401:
        if token_from is None:
            return (f"stagemock: the control plane of the mock at {remote.url} needs its token: "
                    "pass --stagemock-token TOKEN or set $STAGEMOCK_ADMIN_TOKEN (the token "
                    "`stagemock serve` printed at startup, or its --admin-token)")
        return (f"stagemock: the control plane of the mock at {remote.url} refuses the token "
                f"of {token_from}: pass the one `stagemock serve` printed at startup, or its "
                "--admin-token")
    if r.status_code >= 400:
        return (f"stagemock: --stagemock-url {url}: GET {remote.url}/__mock/health answered "
                f"{r.status_code}: is a stagemock listening there?")
    return None


@pytest.fixture(scope="session")
def stagemock_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    url = request.config.getoption("--stagemock-url")
    if url:
        token = request.config.getoption("--stagemock-token")
        token_from = "--stagemock-token" if token else None
        if not token and os.environ.get("STAGEMOCK_ADMIN_TOKEN"):
            token, token_from = os.environ["STAGEMOCK_ADMIN_TOKEN"], "$STAGEMOCK_ADMIN_TOKEN"
        remote = _Remote(url, token)
        problem = _remote_problem(remote, url, token_from)
        if problem is not None:
            remote.stop()
            _refuse(request, problem)
        try:
            yield remote
        finally:
            remote.stop()
        return
    from .settings import Settings
    from .testing import RunningServer

    workers = request.config.getoption("--stagemock-image-workers")
    lenient = request.config.getoption("--stagemock-lenient")
    port, source = _pinned_port(request, "--stagemock-port", "STAGEMOCK_PORT")
    try:
        server = RunningServer(
            Settings(deterministic=True, image_workers=workers, lenient=lenient), port=port
        )
    except OSError as exc:
        _refuse(request, _cannot_listen(port, source, exc, "--stagemock-port"))
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


@dataclass
class MockApi:
    """One test's view of one API of the mock: the control plane's actions scoped to this
    test's key (the server's own client, ``ControlPlane``, has them all, unscoped)."""

    server: ControlPlane
    base_url: str
    api_key: str
    auth_headers: dict[str, str]
    #: ``stagepro`` or ``stagerai``: what ``fault()`` targets unless told otherwise
    api: str = "stagepro"

    @property
    def url(self) -> str:
        return self.server.url

    def advance(self, seconds: float) -> dict[str, Any]:
        return self.server.advance(seconds)

    def journal(self, **params: Any) -> list[dict[str, Any]]:
        return self.server.journal(self.api_key, **params)

    def violations(self) -> list[dict[str, Any]]:
        return [e for e in self.journal() if not e["conformant"]]

    def client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on the API's base URL with this test's key (``headers`` given
        are added to it)."""
        import httpx

        kwargs.setdefault("timeout", 30)
        headers = {**self.auth_headers, **(kwargs.pop("headers", None) or {})}
        return httpx.Client(base_url=self.base_url, headers=headers, **kwargs)

    def console(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on the API's base URL signed in to the console of this test's
        account (``Cookie: stagepro_session=...``): for the keys and webhooks endpoints."""
        import httpx

        token = self.server.console_session(self.api_key)
        kwargs.setdefault("timeout", 30)
        return httpx.Client(
            base_url=self.base_url, cookies={"stagepro_session": token}, **kwargs
        )

    def reset(self) -> None:
        self.server.reset(self.api_key)

    def wait_for_webhook(self, endpoint_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until a webhook endpoint this test created is ``active`` (it answered the
        verification challenge the mock sends at once) and return it; a failed verification
        fails the test saying why."""
        return self.server.wait_for_webhook(endpoint_id, timeout)

    def fault(self, action: str, operation: str | None = None, *, api: str | None = None,
              **rule: Any) -> dict[str, Any]:
        """Rehearse a failure: a fault rule scoped to this test's key (no other test sees
        it), removed when the test ends. ``api`` defaults to this fixture's API; ``"gcs"``
        (Stager AI's signed storage) and ``"webhooks"`` (StagePro's deliveries; ``operation``
        is then an event type) are the others. The rest as ``POST /__mock/faults``:
        ``status``, ``retry_after``, ``delay_ms``, ``delay_seconds``, ``after``, ``times``,
        ``probability``, ``lost_as``. Returns the rule (``id``, ``hits``, ``remaining``)."""
        if operation is not None:
            rule["operation"] = operation
        return self.server.fault(api or self.api, action, api_key=self.api_key, **rule)

    def faults(self) -> list[dict[str, Any]]:
        """This test's fault rules, with their ``hits``."""
        return self.server.faults(self.api_key)

    def resilience(self, max_retries: int | None = None) -> list[str]:
        """What the client did wrong after the faults injected so far, in words (empty: it
        handled them): a duplicate after a lost response, a retry sooner than Retry-After,
        too many retries in a row, a 503 never retried."""
        from .faults import resilience

        found = resilience.findings(
            self.journal(), resilience.MAX_RETRIES if max_retries is None else max_retries
        )
        return [f"[{f.kind}] {f.message}" for f in found]


def _begin(server: Any, key: str) -> None:
    """A server someone else runs may remember this key from an earlier run: forget it. Our
    own server is as freshly started at every test's start (see ``_end``): no round trip."""
    if isinstance(server, _Remote):
        server.reset(key)


def _end(api: MockApi, collected: _Collected | None = None) -> None:
    """Our own server is private to this pytest process, whose tests run one at a time: forget
    everything, clock included, so the next test starts at 2026-01-01T00:00:00Z with the
    fixture accounts as shipped, whatever this one did (its bytes cannot depend on the tests
    before it). A server someone else runs is shared: only this test's key is forgotten, and
    its clock is not rewound. When the session's report is asked for, what the test did is
    collected first."""
    if collected is not None:
        collected.collect(api.server, api.api_key)
    if isinstance(api.server, _Remote):
        api.server.reset(api.api_key)
    else:
        api.server.reset()
        if collected is not None:
            collected.after_full_reset()


# The session's report (--stagemock-report, --stagemock-fail-on) ---------------------------

class _Collected:
    """The journal entries and webhook deliveries of the session's tests, gathered before each
    test's reset wipes them. Exists only when a report or a gate was asked for: otherwise the
    per-test reset stays one round trip."""

    def __init__(self, report: str | None, fail_on: str) -> None:
        self.report = report
        self.fail_on = fail_on
        self.entries: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.problems: list[str] = []  # why the report may be incomplete
        self.dropped = 0  # entries that fell off our own server's ring before collection
        self.since = 0  # our own server: the last seq collected (0 after a full reset)
        self._ring_dropped = 0  # our own server: ``dropped`` as last read
        self.summary = ""  # the terminal summary's paragraph

    def collect(self, server: Any, key: str | None) -> None:
        """What happened since the last collection: on our own server the whole journal after
        the last ``seq`` collected (and every delivery: each collection is followed by a full
        reset); on a shared one (``--stagemock-url``) ``key``'s entries and deliveries (its
        ``_begin`` forgot whatever an earlier run left)."""
        try:
            if isinstance(server, _Remote):
                if key is not None:
                    self.entries += server.journal(key)
                    self.deliveries += server.deliveries(key)
                return
            page = server.journal_page(since=self.since)
            if page["total"] < self.since:  # fully reset by the test itself: from seq 1 again
                self.since = self._ring_dropped = 0
                page = server.journal_page()
            self.entries += page["entries"]
            self.dropped += max(page["dropped"] - self._ring_dropped, 0)
            self._ring_dropped = page["dropped"]
            self.since = page["total"]
            self.deliveries += server.deliveries()
        except ControlPlaneError as exc:
            self.problems.append(f"entries lost: {exc}")

    def after_full_reset(self) -> None:
        self.since = self._ring_dropped = 0

    # xdist: each worker hands its collection to the controller -------------------------
    def export(self) -> str:
        return json.dumps({"entries": self.entries, "deliveries": self.deliveries,
                           "problems": self.problems, "dropped": self.dropped})

    def merge(self, exported: str) -> None:
        data = json.loads(exported)
        self.entries += data["entries"]
        self.deliveries += data["deliveries"]
        self.problems += data["problems"]
        self.dropped += data["dropped"]

    # the end of the session ------------------------------------------------------------
    def finish(self) -> list[str]:
        """Write the report (if asked for) and return why the gate fails (empty: it
        passes); ``summary`` is then the terminal's paragraph."""
        from . import journal_report

        notes = list(self.problems)
        if self.dropped:
            notes.append(f"{self.dropped} journal entries fell off the mock's ring (10,000 "
                         "requests) before they were collected")
        written = ""
        if self.report:
            if self.report.endswith(".json"):
                data = journal_report.summarize(self.entries, self.deliveries)
                data["incomplete"] = notes
                text = json.dumps(data, indent=2, ensure_ascii=False)
            else:
                text = journal_report.build(self.entries, self.deliveries, limit=0)
                text += "".join(f"\nincomplete: {n}" for n in notes)
            try:
                with open(self.report, "w", encoding="utf-8") as out:
                    out.write(text + "\n")
                written = f"report written to {self.report}"
            except OSError as exc:
                written = f"could not write the report to {self.report}: {exc.strerror or exc}"
                notes.append(written)
        why = journal_report.breaks(self.entries, self.fail_on)
        data = journal_report.summarize(self.entries, self.deliveries)
        seen = ", ".join(f"{api} {a['exercised']}/{a['operations_total']} operations exercised"
                         for api, a in data["apis"].items())
        counts = (f"{data['requests']} requests, {len(data['violating'])} violating the spec, "
                  f"{len(data['guesses_only'])} breaking only guesses")
        parts = [f"stagemock: {seen}; {counts}"]
        if why:
            shown = [f"{e['method']} {e['path']} ({e.get('operation_id') or 'no operation'}) "
                     f"→ {e.get('status')}" for e in data["violating"][:3]]
            parts.append(
                f"--stagemock-fail-on {self.fail_on}: {'; '.join(why)}"
                + (f" (first: {', '.join(shown)})" if shown else "")
                + ", so the session fails even though its tests passed"
            )
        if written:
            parts.append(written)
        parts += [f"incomplete: {n}" for n in notes if n != written]
        self.summary = "; ".join(parts) + "."
        return why


_COLLECTED = pytest.StashKey[_Collected]()


def _collected(config: pytest.Config) -> _Collected | None:
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
    if collected.finish() and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
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


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
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
def pytest_runtest_call(item: pytest.Item) -> Any:
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
def stagepro_mock(stagemock_server: Any, request: pytest.FixtureRequest) -> Iterator[MockApi]:
    key = "sk_test_" + _key_suffix(request.node.nodeid)
    _begin(stagemock_server, key)
    api = MockApi(
        stagemock_server,
        stagemock_server.url + "/api/v1",
        key,
        {"Authorization": f"Bearer {key}"},
    )
    try:
        yield api
    finally:
        _end(api, _collected(request.config))


@pytest.fixture
def stagerai_mock(stagemock_server: Any, request: pytest.FixtureRequest) -> Iterator[MockApi]:
    key = "stager_test_" + _key_suffix(request.node.nodeid)
    _begin(stagemock_server, key)
    api = MockApi(stagemock_server, stagemock_server.url, key, {"stager-api-key": key},
                  api="stagerai")
    try:
        yield api
    finally:
        _end(api, _collected(request.config))


@pytest.fixture
def stagepro_webhook_receiver(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A real HTTP receiver for StagePro webhooks (see ``mock_server.testing.WebhookReceiver``):
    ``url``, ``events``, ``deliveries``, ``respond_with([...])``, ``wait_for(n)``,
    ``stop()`` / ``start()``. On a free port, or the one ``--stagemock-webhook-port`` /
    ``$STAGEMOCK_WEBHOOK_PORT`` pins (plus the xdist worker's number)."""
    from .testing import WebhookReceiver

    port, source = _pinned_port(request, "--stagemock-webhook-port", "STAGEMOCK_WEBHOOK_PORT")
    try:
        receiver = WebhookReceiver(port=port).start()
    except OSError as exc:
        _refuse(request, _cannot_listen(port, source, exc, "--stagemock-webhook-port"))
    try:
        yield receiver
    finally:
        receiver.stop()
