"""A pytest plugin for uvicorn's own protocol tests (its sdist's ``tests/protocols/test_http.py``),
loaded into a separate pytest run by ``tests/serving/test_uvicorn_suite.py``.

It adds the mock's protocol class (``mock_server.serving.HttpProtocol``) to the
``http_protocol_cls`` parameters beside uvicorn's httptools and h11 classes, and writes each
test's outcome to the JSON file named by ``STAGEMOCK_SUITE_RESULTS`` so that the outer test
can compare the mock's class with stock httptools test by test. Nothing of uvicorn's tests is
copied: a uvicorn upgrade brings its new tests, and they run against the mock's class.

Its module name is top-level on purpose: the sdist's tests import their own ``tests``
package, which a ``tests.serving...`` module name would shadow.
"""

from __future__ import annotations

import gc
import inspect
import json
import os

import pytest

#: The parameter id the mock's class runs under.
OURS = "stagemock"
_OUTCOMES: dict[str, str] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``http_protocol_cls`` directly (the direct parameters shadow the fixture's
    own ``params``): uvicorn's two stock classes, then ours."""
    if "http_protocol_cls" not in metafunc.fixturenames:
        return
    from uvicorn.protocols.http.h11_impl import H11Protocol
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from mock_server.serving import HttpProtocol

    metafunc.parametrize("http_protocol_cls", [HttpToolsProtocol, H11Protocol, HttpProtocol],
                         ids=["httptools", "h11", OURS])


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """uvicorn's tests drive a mock loop whose ``create_task`` only stores the coroutine: one
    never run is garbage collected as "never awaited", a warning uvicorn's settings make an
    error, raised in whichever later test the collector runs under. For this class that
    happens in the upgrade tests (it answers an upgrade as plain HTTP, so it starts the app
    where httptools hands over to a WebSocket protocol and starts nothing); a failing test's
    traceback can keep the coroutine alive past its own teardown. So each request this class
    started and the test never ran is closed here (closing one never started is silent)."""
    if "[" + OURS not in item.nodeid:
        return
    for obj in gc.get_objects():
        if (inspect.iscoroutine(obj) and obj.__qualname__ == "Cycle.run"
                and inspect.getcoroutinestate(obj) == inspect.CORO_CREATED):
            obj.close()
    gc.collect()  # anything else left unraisable is reported in this test's own teardown


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """One outcome per test: a failure in any phase wins, then a skip, else a pass."""
    if report.when == "call" or report.outcome != "passed":
        previous = _OUTCOMES.get(report.nodeid)
        if previous != "failed":
            _OUTCOMES[report.nodeid] = report.outcome
    else:
        _OUTCOMES.setdefault(report.nodeid, "passed")


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get("STAGEMOCK_SUITE_RESULTS")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(_OUTCOMES, out, indent=1, sort_keys=True)
