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
    """Collect now: a test that leaves a coroutine never awaited (uvicorn's tests drive a mock
    loop; an upgrade test expects an upgrade this class never makes, so the app's task it
    started is never run) is then reported in its own teardown, not in whichever test the
    collector happens to run under (uvicorn's suite turns warnings into errors)."""
    if "[" + OURS in item.nodeid:
        gc.collect()


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
