"""docs/webhooks.md's Python examples run as printed: the signature check on its own, the
pytest example as a test file of its own, in a pytest of its own (with the plugin)."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "webhooks.md"


def python_blocks(section: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, re.S)


def test_the_signature_check_runs_as_printed():
    (block,) = python_blocks("Verifying a signature")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, f"{DOC}:Verifying a signature", "exec"), {"__name__": "snippet"})
    printed = out.getvalue().splitlines()
    assert printed[0] == "accepted job.completed evt_1"
    assert len(printed) == 3 and all(line.startswith("refused: ") for line in printed[1:])


def test_the_javascript_signature_check_runs_as_printed(tmp_path):
    import shutil

    import pytest

    text = DOC.read_text(encoding="utf-8")
    body = text.split("\n## Verifying a signature\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```javascript\n(.*?)```", body, re.S)
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the JavaScript check is not run here")
    (tmp_path / "verify.mjs").write_text(block, encoding="utf-8")
    done = subprocess.run([node, "verify.mjs"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "accepted job.completed evt_1", "refused: no v1= matches the secret",
        "refused: t is too far from now"]


def test_the_pytest_example_passes_as_printed(tmp_path):
    (block,) = python_blocks("In your pytest suite")
    (tmp_path / "test_webhook_example.py").write_text(block, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "test_webhook_example.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
