"""uvicorn's own protocol tests, run against the mock's HTTP/1.1 protocol class.

The mock serves on its own protocol class (``mock_server.serving.HttpProtocol``), built on the
same llhttp as uvicorn's ``HttpToolsProtocol``. To keep it from drifting from its source,
this test fetches the sdist of the *installed* uvicorn version (``pip download``, cached in
``~/.cache/stagemock/uvicorn-sdist/<version>``, or ``$STAGEMOCK_CACHE_DIR``), runs its
``tests/protocols/test_http.py`` in a separate pytest process with the mock's class added to
the ``http_protocol_cls`` parameters (``uvicorn_suite_plugin.py`` beside this file), and fails
on every test that stock httptools passes and the mock's class does not, but for the listed
``EXCEPTIONS``, each with its reason. Nothing of uvicorn's tests is copied here: a uvicorn
upgrade runs its new tests against the mock's class.

It skips only when the package index cannot be reached (and says so); any other failure to
fetch the tests fails.

Run it alone: ``.venv/bin/python -m pytest -q tests/serving/test_uvicorn_suite.py``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest
import uvicorn

HERE = Path(__file__).resolve().parent
SUITE = "tests/protocols/test_http.py"

#: uvicorn's tests this class may fail while stock httptools passes them, with why. (Checked
#: with uvicorn 0.55.0, with and without websockets and wsproto installed: these two are all.)
EXCEPTIONS = {
    "test_websocket_upgrade_failure_cleans_up_connection":
        "a WebSocket upgrade: the test expects the connection handed to a WebSocket protocol; "
        "the mock has no WebSocket, so this class answers an upgrade request as plain HTTP",
    "test_supported_upgrade_request":
        "a WebSocket upgrade (runs when wsproto is installed): expects the WebSocket "
        "protocol's 426; this class never upgrades",
}

#: What pip says when it cannot reach the index (a refused or failed connection, DNS).
UNREACHABLE = re.compile(
    r"NewConnectionError|ConnectTimeout|ConnectionError|Connection refused|Max retries exceeded"
    r"|Temporary failure in name resolution|Name or service not known|Network is unreachable"
    r"|ProxyError|Failed to establish a new connection|No route to host", re.IGNORECASE)


def _cache_root() -> Path:
    if os.environ.get("STAGEMOCK_CACHE_DIR"):
        return Path(os.environ["STAGEMOCK_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stagemock"


def uvicorn_tests(version: str) -> Path:
    """The folder holding the sdist's ``tests/`` and ``pyproject.toml`` (its pytest settings)
    for uvicorn ``version``: from the cache, or fetched with pip and extracted there."""
    target = _cache_root() / "uvicorn-sdist" / version
    if (target / SUITE).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "--disable-pip-version-check", "--timeout", "20", "--retries", "1",
             "--dest", tmp, f"uvicorn=={version}"],
            capture_output=True, text=True, timeout=300, check=False)
        output = result.stdout + result.stderr
        if result.returncode != 0:
            if UNREACHABLE.search(output):
                pytest.skip(f"the package index is unreachable, so uvicorn {version}'s sdist "
                            f"(its protocol tests) cannot be fetched:\n{output[-1500:]}")
            pytest.fail(f"pip could not fetch uvicorn {version}'s sdist:\n{output[-3000:]}")
        (archive,) = Path(tmp).glob("uvicorn-*.tar.gz")
        extracted = Path(tmp) / "extracted"
        with tarfile.open(archive) as tar:
            prefix = f"uvicorn-{version}/"
            members = [m for m in tar.getmembers() if m.name.startswith(
                (prefix + "tests/", prefix + "pyproject.toml"))]
            tar.extractall(extracted, members=members, filter="data")
        # the sdist's own ``uvicorn/`` is left out: the tests run against the installed one
        if not (target / SUITE).is_file():
            shutil.rmtree(target, ignore_errors=True)
            (extracted / f"uvicorn-{version}").rename(target)
    return target


def _function(nodeid: str) -> str:
    return nodeid.split("::", 1)[1].split("[", 1)[0]


def regressions(outcomes: dict[str, str]) -> dict[str, str]:
    """Each test that stock httptools passes and the mock's class does not: node id → its
    outcome for the mock's class (``missing`` when it did not run)."""
    found = {}
    for nodeid, outcome in outcomes.items():
        if outcome != "passed" or not re.search(r"[\[-]httptools[\]-]", nodeid):
            continue
        ours = re.sub(r"(?<=[\[-])httptools(?=[\]-])", "stagemock", nodeid)
        if outcomes.get(ours, "missing") not in ("passed", "skipped"):
            found[ours] = outcomes.get(ours, "missing")
    return found


def test_regressions_are_found_by_parameter() -> None:
    """The comparison itself: a test is matched to its httptools twin whatever its other
    parameters, and a failure (or a test that did not run) of the mock's class is reported."""
    outcomes = {
        "t.py::test_a[httptools]": "passed", "t.py::test_a[stagemock]": "failed",
        "t.py::test_b[httptools-x-y]": "passed", "t.py::test_b[stagemock-x-y]": "passed",
        "t.py::test_c[p-httptools]": "passed",
        "t.py::test_d[httptools]": "failed", "t.py::test_d[stagemock]": "failed",
        "t.py::test_httptools_only": "passed",
    }
    assert regressions(outcomes) == {"t.py::test_a[stagemock]": "failed",
                                     "t.py::test_c[p-stagemock]": "missing"}


def test_the_protocol_passes_uvicorns_protocol_suite(tmp_path: Path) -> None:
    suite = uvicorn_tests(uvicorn.__version__)
    results = tmp_path / "outcomes.json"
    env = {**os.environ, "STAGEMOCK_SUITE_RESULTS": str(results),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))}
    # its own process: uvicorn's conftest and fixtures (and its ``tests`` package) stay apart
    run = subprocess.run(
        [sys.executable, "-m", "pytest", SUITE, "-q", "-p", "uvicorn_suite_plugin",
         "-p", "no:stagemock", "-p", "no:xdist", "-p", "no:cacheprovider",
         "-o", "addopts=", "--rootdir", str(suite)],  # uvicorn's addopts asks for 8 workers
        cwd=suite, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert run.returncode in (0, 1) and results.is_file(), (
        f"uvicorn's suite did not run (exit {run.returncode}):\n{run.stdout[-4000:]}{run.stderr}")
    outcomes: dict[str, str] = json.loads(results.read_text())
    ours = [nodeid for nodeid in outcomes if "[stagemock" in nodeid]
    assert len(ours) >= 50, f"only {len(ours)} of uvicorn's tests ran against the mock's class"
    found = regressions(outcomes)
    unexplained = {nodeid: outcome for nodeid, outcome in found.items()
                   if _function(nodeid) not in EXCEPTIONS}
    excused = sorted(nodeid for nodeid in found if nodeid not in unexplained)
    print(f"uvicorn {uvicorn.__version__}: {sum(outcomes[n] == 'passed' for n in ours)} of "
          f"{len(ours)} passed for the mock's class; excused: {excused}")
    assert not unexplained, (
        "uvicorn's protocol tests that stock httptools passes and the mock's class fails:\n"
        + "\n".join(f"  {nodeid}: {outcome}" for nodeid, outcome in sorted(unexplained.items()))
        + f"\n\n{run.stdout[-6000:]}")


def test_an_unreachable_index_skips_and_says_so(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The one reason to skip: pip cannot reach the index (here a loopback port nothing
    listens on). The skip names it, with pip's own words."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # released at once: connections to it are refused
    monkeypatch.setenv("STAGEMOCK_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{port}/simple/")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # no configured index or links either
    for name in ("PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(pytest.skip.Exception, match="the package index is unreachable"):
        uvicorn_tests(uvicorn.__version__)
    assert not (tmp_path / "uvicorn-sdist" / uvicorn.__version__).exists()
