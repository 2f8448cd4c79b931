"""The container image, built from the Dockerfile and run with its own command: both APIs on
127.0.0.1, a real image job on each rendered by the trimmed install (the StagePro one to the
bytes pinned in ``tests/golden/hashes.json``), a user that is not root, the control plane
behind ``STAGEMOCK_ADMIN_TOKEN``, a health check that passes without the token (and fails with
nothing listening), SIGTERM obeyed within 5 s, the startup lines on stdout; the virtualenv
within the size budget that docs/container.md states; and the image's own NumPy (compiled in
the Dockerfile without BLAS) rendering every byte of the golden session as pinned.

The build uses the layer cache (``--layers``): the stage that compiles NumPy depends on the
base and NumPy's version only, so after the first build only the project's layers are built
again (docs/container.md, "How it is tested", gives both times).

This machine has no Docker daemon and no registry for base images, so the base is Debian
bookworm made by mmdebstrap (``base_image.py``, cached), the build is ``buildah bud
--isolation chroot --format docker`` (the OCI format would drop HEALTHCHECK) and the run is
``buildah run --isolation chroot``, which shares the host's network. That network is shared
with other test runs too, so the command's ``--port 8000`` (and the health check's) is swapped
for a free port: nothing else of the command is changed. Selected with ``-m container``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tarfile
import time
from pathlib import Path

import httpx
import pytest

from tests.container import base_image, image_jobs
from tests.waiting import answering, wait_for

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "localhost/stagemock:pytest"
TOKEN = "container-test-token"
DOC = ROOT / "docs" / "container.md"
#: The sentence of docs/container.md that states the budget (the test reads it from there).
BUDGET = re.compile(r"the virtualenv \(`/opt/stagemock`\) weighs at most (\d+) MB")
#: A cold build compiles NumPy (docs/container.md gives the time measured here); with the
#: NumPy stage in the layer cache (``--layers``) a build takes a minute or two.
BUILD_TIMEOUT = 3600
#: What the golden session reads from the checkout, mounted read-only under /golden: its
#: script (and ``tests`` to import it by), the photos and the specs. Not ``mock_server``:
#: the session runs the image's installed stagemock, NumPy and Pillow.
GOLDEN_READS = ("tests", "fixtures", "openapi")
PINNED = ROOT / "tests" / "golden" / "hashes.json"

pytestmark = [pytest.mark.container, pytest.mark.xdist_group("container")]


def _tools() -> str | None:
    """Why the image cannot be built here, or ``None``: buildah and mmdebstrap, installed
    with apt-get when missing (as root)."""
    if shutil.which("buildah") and shutil.which("mmdebstrap"):
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "buildah/mmdebstrap missing and cannot be installed (needs root and apt-get)"
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "buildah", "mmdebstrap"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0:
            return f"buildah cannot be installed here: {' '.join(cmd)}: {proc.stderr[-300:]}"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def image() -> dict:
    """The image built from this checkout: its Docker config (command, user, health check)."""
    if (why := _tools()) is not None:
        pytest.skip(why)
    base = base_image.ensure()
    build = subprocess.run(
        ["buildah", "bud", "--isolation", "chroot", "--format", "docker", "--layers",
         "--build-arg", f"BASE_IMAGE={base}", "-t", IMAGE, str(ROOT)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    inspected = subprocess.run(["buildah", "inspect", "--type", "image", IMAGE],
                               capture_output=True, text=True, check=True)
    return json.loads(inspected.stdout)["Docker"]["config"]


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _server_pid(runner: int) -> int | None:
    """The ``stagemock serve`` process that ``buildah run`` (``runner``) started."""
    for pid in _descendants(runner):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # the Python process itself (buildah-chroot-exec, its parent, has the same arguments)
        if b"python" in argv[0] and b"serve" in argv and any(a.endswith(b"stagemock")
                                                              for a in argv):
            return pid
    return None


def _uid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("Uid:"))
    return int(line.split()[1])


def test_the_image_serves_both_apis_as_a_user_that_is_not_root_and_stops_on_sigterm(image):
    started = time.monotonic()
    port = _free_port()
    command = [*image["Entrypoint"], *image["Cmd"]]
    assert command == ["stagemock", "serve", "--host", "0.0.0.0", "--port", "8000"]
    command[-1] = str(port)
    health = list(image["Healthcheck"]["Test"])
    assert health[0] == "CMD" and any(":8000/" in part for part in health), health
    health = [part.replace(":8000/", f":{port}/") for part in health[1:]]
    assert image["User"] not in ("", "0", "root") and not image["User"].startswith("0:")
    assert "8000/tcp" in image["ExposedPorts"]

    ctr = subprocess.run(["buildah", "from", IMAGE], capture_output=True, text=True,
                         check=True).stdout.strip()
    run = ["buildah", "run", "--isolation", "chroot"]
    proc = subprocess.Popen(
        [*run, "--env", f"STAGEMOCK_ADMIN_TOKEN={TOKEN}", "--env", "STAGEMOCK_DETERMINISTIC=1",
         "--env", f"STAGEMOCK_SEED={image_jobs.SEED}", "--env", "STAGEMOCK_LOG_LEVEL=info",
         ctr, "--", *command],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        root = f"http://127.0.0.1:{port}"
        index = answering(f"{root}/", proc, timeout=60).json()
        assert index["service"] == "stagemock"

        # both APIs answer
        pro = httpx.get(f"{root}/api/v1/capabilities", timeout=10,
                        headers={"Authorization": "Bearer sk_test_container"})
        assert pro.status_code == 200, pro.text
        rai = httpx.post(f"{root}/api/projects", timeout=10, json={"title": "Container"},
                         headers={"stager-api-key": "stager_test_container"})
        assert rai.status_code == 200 and rai.json()["title"] == "Container", rai.text

        # the server process runs as the image's user, not root
        server = wait_for(lambda: _server_pid(proc.pid), what="the stagemock serve process")
        assert _uid(server) == int(image["User"].split(":")[0]) != 0

        # the control plane wants the token from STAGEMOCK_ADMIN_TOKEN
        refused = httpx.get(f"{root}/__mock/health", timeout=10)
        assert refused.status_code == 401, refused.text
        wrong = httpx.get(f"{root}/__mock/health", timeout=10,
                          headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401, wrong.text
        ok = httpx.get(f"{root}/__mock/health", timeout=10,
                       headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and ok.json()["seed"] == image_jobs.SEED, ok.text

        # the trimmed install renders: a job on each API (in the image's worker processes),
        # StagePro's to the pinned bytes
        rendered = image_jobs.render_both(root, TOKEN)
        assert rendered["stagepro"] == image_jobs.pinned_tool_hash(), rendered

        # the health check passes without the token
        check = subprocess.run([*run, ctr, "--", *health], capture_output=True, text=True,
                               timeout=60, check=False)
        assert check.returncode == 0, check.stdout + check.stderr

        # SIGTERM, what `docker stop` sends, ends it within 5 s
        os.kill(server, signal.SIGTERM)
        stop = time.monotonic()
        proc.wait(timeout=5)
        stopped = time.monotonic() - stop
        assert stopped < 5
        out, err = proc.communicate(timeout=5)
        assert f"stagemock serving on http://0.0.0.0:{port}" in out, out  # the banner: stdout
        assert "control plane token (given)" in out, out
        # uvicorn's own lines (stderr, as uvicorn writes them): the graceful path was taken,
        # the lifespan's shutdown ran (uvicorn then ends by the signal it caught: 143)
        assert "Shutting down" in err and "Application shutdown complete" in err, err

        # with nothing listening, the same health check fails
        down = subprocess.run([*run, ctr, "--", *health], capture_output=True, text=True,
                              timeout=60, check=False)
        assert down.returncode != 0
    finally:
        if proc.poll() is None:  # the server and its workers first: buildah run leaves them
            for pid in reversed(_descendants(proc.pid)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.kill()
            proc.wait(timeout=10)
        subprocess.run(["buildah", "rm", ctr], capture_output=True, check=False)
    print(f"\nimage run checked in {time.monotonic() - started:.1f} s; stopped {stopped:.2f} s "
          "after SIGTERM")


class _Counter:
    """A file that only counts what is written to it."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def _tar_size(path: Path) -> int:
    """The bytes of ``path`` as a tar stream (GNU format, as ``tar -cf -`` writes it): what a
    layer holding it weighs uncompressed."""
    sink = _Counter()
    with tarfile.open(fileobj=sink, mode="w|",  # type: ignore[call-overload]
                      format=tarfile.GNU_FORMAT) as tar:
        tar.add(path, arcname=path.name)
    return sink.size


def test_the_virtualenv_is_within_the_budget_the_docs_state(image):
    found = BUDGET.search(DOC.read_text())
    assert found, f"docs/container.md no longer states the budget ({BUDGET.pattern})"
    budget = int(found.group(1)) * 1_000_000
    ctr = subprocess.run(["buildah", "from", IMAGE], capture_output=True, text=True,
                         check=True).stdout.strip()
    try:
        mount = Path(subprocess.run(["buildah", "mount", ctr], capture_output=True, text=True,
                                    check=True).stdout.strip())
        size = _tar_size(mount / "opt" / "stagemock")
    finally:
        subprocess.run(["buildah", "umount", ctr], capture_output=True, check=False)
        subprocess.run(["buildah", "rm", ctr], capture_output=True, check=False)
    print(f"\nthe virtualenv weighs {size / 1e6:.1f} MB (budget {budget / 1e6:.0f} MB)")
    assert size <= budget, f"{size / 1e6:.1f} MB, over the {budget / 1e6:.0f} MB budget"


#: What NumPy in the image was built with, as JSON: BLAS and LAPACK, the SIMD targets it can
#: dispatch to, and whether a vendored library folder came with it.
NUMPY_PROBE = """import json, pathlib, numpy
from numpy._core._multiarray_umath import __cpu_dispatch__
deps = numpy.show_config(mode="dicts")["Build Dependencies"]
libs = pathlib.Path(numpy.__file__).parent.with_name("numpy.libs")
print(json.dumps({"blas": deps["blas"]["name"], "lapack": deps["lapack"]["name"],
                  "dispatch": list(__cpu_dispatch__), "libs": libs.exists()}))"""


def test_the_images_numpy_has_no_blas_and_renders_every_pinned_hash(image):
    """The image's NumPy is compiled in the Dockerfile's own stage, without BLAS, LAPACK or
    SIMD variants beyond the baseline: that those options change no byte is proved here, by
    the whole golden session (``tests/golden/session.py``) run by the image's Python against
    its installed stagemock, which must give every hash of ``tests/golden/hashes.json``."""
    ctr = subprocess.run(["buildah", "from", IMAGE], capture_output=True, text=True,
                         check=True).stdout.strip()
    run = ["buildah", "run", "--isolation", "chroot", "--workingdir", "/golden",
           *(arg for name in GOLDEN_READS for arg in ("--volume", f"{ROOT / name}:/golden/{name}:ro"))]
    try:
        probe = subprocess.run([*run, ctr, "--", "python", "-c", NUMPY_PROBE],
                               capture_output=True, text=True, timeout=120, check=False)
        assert probe.returncode == 0, probe.stderr[-3000:]
        session = subprocess.run([*run, ctr, "--", "python", "-m", "tests.golden.session"],
                                 capture_output=True, text=True, timeout=600, check=False)
        assert session.returncode == 0, session.stderr[-4000:]
    finally:
        subprocess.run(["buildah", "rm", ctr], capture_output=True, check=False)
    numpy = json.loads(probe.stdout)
    assert numpy == {"blas": "none", "lapack": "none", "dispatch": [], "libs": False}, numpy
    got = json.loads(session.stdout)["hashes"]
    pinned = json.loads(PINNED.read_text())
    missing, extra = sorted(pinned.keys() - got.keys()), sorted(got.keys() - pinned.keys())
    changed = sorted(k for k in pinned.keys() & got.keys() if pinned[k] != got[k])
    assert not (missing or extra or changed), (
        f"the image renders other bytes: changed {changed}, missing {missing}, new {extra}")
    print(f"\nthe image's NumPy ({numpy}) gives all {len(pinned)} pinned hashes")
