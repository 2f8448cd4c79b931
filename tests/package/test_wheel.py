"""The installed wheel is the product: build it, install it into a virtualenv that never saw
this checkout, and use it from empty folders as an integrator would.

The steps share one wheel and one virtualenv (module fixtures), so they run in order on one
xdist worker (``xdist_group``); the ``contract`` extra is installed last, after the base
install has been shown to work without it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.waiting import answering

ROOT = Path(__file__).resolve().parents[2]
DOWNSTREAM = Path(__file__).resolve().parent / "downstream"

pytestmark = pytest.mark.xdist_group("wheel")


def run(cmd: list[str], cwd: Path, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "VIRTUAL_ENV"))}
    env.pop("PYTHONPATH", None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
        **kwargs,
    )


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"{proc.args} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    ok(run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
            "--quiet", "-w", str(out), str(ROOT)], cwd=out))
    (built,) = out.glob("stagemock-*.whl")
    return built


UV = [sys.executable, "-m", "uv"]


def install(venv: Path, *requirements: str) -> None:
    """uv, with the cache that ``make install`` filled: no second download."""
    ok(run([*UV, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
            *requirements], cwd=venv, timeout=600))


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    """A virtualenv outside the checkout with the base install and the ``xdist`` extra
    (pytest, pytest-xdist), as README tells a parallel suite to install it."""
    where = tmp_path_factory.mktemp("venv")
    ok(run([*UV, "venv", "--quiet", "--python", sys.executable, str(where)], cwd=where))
    install(where, f"stagemock[xdist] @ {wheel.as_uri()}")
    return where


@pytest.fixture
def empty(tmp_path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_wheel_carries_specs_fixtures_and_types(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for spec in ("stagepro", "stagerai", "admin"):
        assert f"mock_server/_data/openapi/{spec}.yaml" in names
    for fixture in ("accounts.yaml", "prices.yaml", "photos/interior.jpg",
                    "brackets/living_room_ev0.jpg"):
        assert f"mock_server/_data/fixtures/{fixture}" in names
    assert "mock_server/py.typed" in names
    for asset in ("index.html", "app.js", "app.css"):
        assert f"mock_server/admin/ui/{asset}" in names
    assert "contract_tests/suites/test_stagepro.py" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "openapi/"))]
    # the mutants patch the mock's internals to prove the suite's power: the tests' own
    assert not [n for n in names if "mutant" in n], sorted(n for n in names if "mutant" in n)


def test_the_sdist_carries_what_the_tests_read(tmp_path):
    """The sdist is the checkout minus git: the specs, fixtures, tests and the docs pages whose
    shell examples ``tests/test_readme.py`` runs."""
    import tarfile

    ok(run([*UV, "build", "--sdist", "--quiet", "-o", str(tmp_path), str(ROOT)], cwd=tmp_path,
           timeout=300))
    (built,) = tmp_path.glob("stagemock-*.tar.gz")
    with tarfile.open(built) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for needed in ("openapi/stagepro.yaml", "fixtures/accounts.yaml", "README.md",
                   "docs/stagepro.md", "docs/FIDELITY.md", "tests/test_readme.py", "Makefile"):
        assert needed in names, needed


def test_the_base_install_has_no_contract_dependencies(venv, empty):
    probe = "import importlib.util as u; print([m for m in ('schemathesis', 'hypothesis', 'mcp') if u.find_spec(m)])"
    assert ok(run([str(venv / "bin" / "python"), "-c", probe], cwd=empty)).stdout.strip() == "[]"


def test_one_version_everywhere(venv, empty):
    py = str(venv / "bin" / "python")
    meta = ok(run([py, "-c", "import importlib.metadata as m; print(m.version('stagemock'))"],
                  cwd=empty)).stdout.strip()
    assert ok(run([str(venv / "bin" / "stagemock"), "--version"], cwd=empty)).stdout.strip() == f"stagemock {meta}"
    assert ok(run([py, "-m", "mock_server", "--version"], cwd=empty)).stdout.strip() == f"stagemock {meta}"
    assert ok(run([py, "-c", "import mock_server; print(mock_server.__version__)"], cwd=empty)).stdout.strip() == meta


def test_the_sample_photos_are_public_from_an_empty_folder(venv, empty):
    """``mock_server.fixture_path`` (docs/stagepro.md#sample-photos) finds the photos and
    brackets inside the installed wheel."""
    code = ("import mock_server as m; p = m.fixture_path('photos', 'interior.jpg'); "
            "b = m.fixture_path('brackets', 'living_room_ev0.jpg'); "
            "print('fixture_path' in m.__all__, p.is_file(), b.is_file(), '_data' in p.parts)")
    out = ok(run([str(venv / "bin" / "python"), "-c", code], cwd=empty)).stdout.strip()
    assert out == "True True True True"


@pytest.mark.parametrize("command, extra", [("check", "contract"), ("mcp", "mcp")])
def test_a_command_without_its_extra_names_the_install_command(venv, empty, command, extra):
    proc = run([str(venv / "bin" / "stagemock"), command, "stagepro"], cwd=empty)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"pip install 'stagemock[{extra}]'" in lines[0], proc.stderr


@pytest.mark.parametrize("how", ["stagemock", "python -m mock_server"])
def test_serve_from_an_empty_folder(venv, empty, how):
    port = free_port()
    cmd = ([str(venv / "bin" / "stagemock"), "serve"] if how == "stagemock"
           else [str(venv / "bin" / "python"), "-m", "mock_server"])
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    log = (empty / "serve.log").open("w")
    proc = subprocess.Popen([*cmd, "--port", str(port), "--deterministic"], cwd=empty, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        health = answering(f"{url}/__mock/health", proc,
                           output=lambda: (empty / "serve.log").read_text()[-3000:]).json()
        version = ok(run([str(venv / "bin" / "stagemock"), "--version"], cwd=empty)).stdout.split()[1]
        assert health["version"] == version
        assert httpx.get(f"{url}/openapi/stagerai.yaml").status_code == 200
        ui = httpx.get(f"{url}/__mock/ui")
        assert ui.status_code == 200 and "stagemock dashboard" in ui.text
        assert httpx.get(f"{url}/__mock/ui/app.js").status_code == 200
        key = {"Authorization": "Bearer sk_live_mock_funded"}  # a fixture account
        assert httpx.get(f"{url}/api/v1/usage", headers=key).json()["credits"]["balance"] == 100
        job = httpx.post(f"{url}/api/v1/jobs", headers={"Authorization": "Bearer sk_test_wheel"},
                         json={"type": "virtual-stage", "input": {
                             "image_url": "https://x.test/room.jpg", "style": "modern",
                             "room_type": "bedroom"}})
        assert job.status_code in (201, 202), job.text
        httpx.post(f"{url}/__mock/clock/advance", json={"seconds": 30})
        done = httpx.get(f"{url}/api/v1/jobs/{job.json()['id']}",
                         headers={"Authorization": "Bearer sk_test_wheel"}).json()
        assert done["status"] == "completed"
        image = httpx.get(done["output"]["images"][0]["url"])
        assert image.content[:3] == b"\xff\xd8\xff"
        report = run([str(venv / "bin" / "stagemock"), "journal-report", "--base-url", url], cwd=empty)
        assert report.returncode in (0, 1), report.stderr
        assert "createJob" in report.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal (the Unix convention)
        assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
        log.close()


def test_proxy_record_and_replay_from_an_empty_folder(venv, empty):
    """The installed wheel alone: a mock, the proxy in front of it recording, then the
    recording replayed against the mock with another key (no difference: exit 0)."""
    bin_ = venv / "bin" / "stagemock"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    mock_port, proxy_port = free_port(), free_port()
    log = empty / "servers.log"
    with log.open("w") as out:
        mock = subprocess.Popen([str(bin_), "serve", "--port", str(mock_port), "--deterministic"],
                                cwd=empty, env=env, stdout=out, stderr=subprocess.STDOUT)
        proxy = subprocess.Popen([str(bin_), "proxy", "stagepro", "--upstream",
                                  f"http://127.0.0.1:{mock_port}/api/v1", "--port",
                                  str(proxy_port), "--record", "session.jsonl"],
                                 cwd=empty, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            answering(f"http://127.0.0.1:{mock_port}/__mock/health", mock,
                      output=log.read_text)
            answering(f"http://127.0.0.1:{proxy_port}/__mock/health", proxy,
                      output=log.read_text)
            api = f"http://127.0.0.1:{proxy_port}/api/v1"
            key = {"Authorization": "Bearer sk_test_wheel_proxy"}
            job = httpx.post(f"{api}/jobs", headers=key, json={"type": "empty-room", "input": {
                "image_url": "https://x.test/room.jpg"}})
            assert job.status_code == 202, job.text
            assert httpx.get(f"{api}/jobs/{job.json()['id']}", headers=key).status_code == 200
            journal = httpx.get(f"http://127.0.0.1:{proxy_port}/__mock/journal").json()
            assert [e["response_conformant"] for e in journal["entries"]] == [True, True]
            replay = run([str(bin_), "replay", "session.jsonl", "--base-url",
                          f"http://127.0.0.1:{mock_port}/api/v1", "--api-key",
                          "sk_test_wheel_replay"], cwd=empty)
            assert replay.returncode == 0, replay.stdout + replay.stderr
            assert "2 exchanges replayed, 0 differences" in replay.stdout
        finally:
            for proc in (proxy, mock):
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=20)


def test_a_downstream_project_uses_the_plugin_with_xdist(venv, tmp_path):
    project = tmp_path / "listing-photos"
    shutil.copytree(DOWNSTREAM, project)
    report = tmp_path / "junit.xml"
    proc = run([str(venv / "bin" / "python"), "-m", "pytest", "-n", "2", "--stagemock-strict",
                f"--junitxml={report}", "-p", "no:randomly"], cwd=project, timeout=300)
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        outcomes[case.get("name")] = (failure is None, (failure.get("message") or "") + (failure.text or "") if failure is not None else "")
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert len(outcomes) == 9, outcomes
    bad = outcomes.pop("test_strict_mode_catches_a_bad_request")
    assert not bad[0] and "POST /api/v1/jobs" in bad[1] and "image_url" in bad[1], bad
    assert all(passed for passed, _ in outcomes.values()), {k: v for k, v in outcomes.items() if not v[0]}


def test_the_contract_extra_checks_both_apis(venv, wheel, empty):
    install(venv, f"{wheel}[contract]")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}
    runs = {  # both at once: each starts its own mock
        api: subprocess.Popen(
            [str(venv / "bin" / "stagemock"), "check", api, "--max-examples", "2",
             "--phases", "examples"],
            cwd=empty, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for api in ("stagepro", "stagerai")
    }
    for api, proc in runs.items():
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out[-4000:]
        assert f"stagemock check {api}" in out and "property tests: ok" in out, out[-2000:]
