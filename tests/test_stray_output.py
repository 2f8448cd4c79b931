"""No stray lines on the user's terminal: python-multipart's "Found invalid character … in
header" during `stagemock check`, multiprocessing's "leaked semaphore" when `stagemock serve`
stops on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx


def test_serve_stops_on_sigterm_without_a_leaked_semaphore_warning():
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--deterministic",
         "--image-workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        banner = proc.stdout.readline()  # printed once the socket listens
        assert banner.startswith("stagemock serving on "), banner
        root = banner.split()[3]
        with httpx.Client(base_url=root, timeout=60) as c:
            job = c.post("/api/v1/jobs", headers={"Authorization": "Bearer sk_test_sigterm"}, json={
                "type": "listing-tool",
                "input": {"image_url": "https://example.com/x.jpg", "listing_tool": "virtual-twilight"}})
            assert job.status_code == 202
            assert c.post("/__mock/clock/advance", json={"seconds": 30}).status_code == 200  # renders in a worker
            got = c.get(f"/api/v1/jobs/{job.json()['id']}", headers={"Authorization": "Bearer sk_test_sigterm"})
            assert got.json()["status"] == "completed"
        proc.send_signal(signal.SIGTERM)
        # returns once every process holding stderr (workers, fork server, resource tracker) ended
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "leaked semaphore" not in err, err
    assert "resource_tracker" not in err, err
    assert "Traceback" not in err, err


def test_check_prints_no_multipart_parser_warnings():
    """Schemathesis sends malformed multipart bodies to the upload operations: the mock answers
    them 400 (and journals them) without python-multipart's warnings on the terminal."""
    for api, op in (("stagepro", "createUpload"), ("stagerai", "uploadImage")):
        proc = subprocess.run(
            [sys.executable, "-m", "mock_server", "check", api, "--include-operation", op,
             "--max-examples", "10", "--no-properties", "--phases", "coverage,fuzzing"],
            capture_output=True, text=True, timeout=300, check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Found invalid character" not in proc.stdout + proc.stderr, proc.stderr
        assert "in header" not in proc.stderr, proc.stderr
