"""``make test``'s apt step (Chromium for the browser tests): it waits for the dpkg lock, bounded
(``DPkg::Lock::Timeout=120``), and fails with one line when apt cannot install (issue 34: it
failed at once, with apt's own lines, while another apt held the lock). apt-get, sudo and
chromium are stubs on PATH here: nothing is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_a_held_dpkg_lock_is_waited_for_then_one_line(tmp_path):
    calls = tmp_path / "calls"
    for name in ("apt-get", "sudo"):
        stub = tmp_path / name
        stub.write_text(f'#!/bin/sh\necho "{name} $*" >> {calls}\n'
                        'echo "E: Could not get lock /var/lib/dpkg/lock-frontend" >&2\nexit 100\n')
        stub.chmod(0o755)
    make = shutil.which("make")
    assert make is not None
    proc = subprocess.run(
        [make, "--no-print-directory", "-s", "chromium"], cwd=ROOT, capture_output=True,
        text=True, timeout=60, check=False,
        env={"PATH": f"{tmp_path}:{_no_chromium(tmp_path)}"})
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("make: could not install chromium"), proc.stderr
    assert "waited up to 120 s for the dpkg lock" in lines[0]
    assert not any("Could not get lock" in line for line in lines), proc.stderr
    assert "apt-get -o DPkg::Lock::Timeout=120 update -qq" in calls.read_text()


def _no_chromium(tmp_path: Path) -> str:
    """/usr/bin and /bin without chromium: a folder of links to everything else the recipe
    runs (sh, make's helpers), so ``command -v chromium`` fails."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("sh", "env", "echo", "cat"):
        found = shutil.which(name)
        if found:
            (bin_dir / name).symlink_to(found)
    return str(bin_dir)
