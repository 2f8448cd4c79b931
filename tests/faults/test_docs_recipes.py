"""The recipes of docs/faults.md run as printed: each ``python`` block under "Recipes" is a
test module of an integrator's suite, run by pytest with the plugin from its entry point."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "faults.md"


def recipes() -> list[str]:
    text = DOC.read_text()
    section = text[text.index("## Recipes"):]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_every_recipe_passes_as_printed(tmp_path):
    blocks = recipes()
    assert len(blocks) == 3
    for i, block in enumerate(blocks):
        (tmp_path / f"test_recipe_{i}.py").write_text(block)
    report = tmp_path / "junit.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-p", "no:xdist", "--stagemock-strict", "--stagemock-image-workers", "0",
         f"--junitxml={report}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": "/usr/bin:/bin"})
    cases = list(ET.parse(report).getroot().iter("testcase"))
    assert len(cases) == 3, proc.stdout
    assert proc.returncode == 0, proc.stdout[-3000:]


def js_recipes() -> list[str]:
    text = DOC.read_text()
    section = text[text.index("## Recipes"):]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"```javascript\n(.*?)```", section, re.S)


def test_every_javascript_recipe_passes_as_printed_with_node(tmp_path, stagemock_server):
    """The recipes' JavaScript twins, run by ``node --test`` against a mock over HTTP only."""
    import os
    import shutil

    import pytest

    blocks = js_recipes()
    assert len(blocks) == 3
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the JavaScript recipes are not run here")
    files = []
    for i, block in enumerate(blocks):
        path = tmp_path / f"recipe_{i}.test.mjs"
        path.write_text(block)
        files.append(path.name)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "STAGEMOCK_URL": stagemock_server.url}
    proc = subprocess.run([node, "--test", *files], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False, env=env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# pass 3" in proc.stdout and "# fail 0" in proc.stdout, proc.stdout
    # ... and the clients they show do what the page advises: nothing the journal flags, not
    # even a rule the mock only guesses (the key sent as a header alone was one)
    for key in sorted(set(re.findall(r'const KEY = "(sk_test_\w+)"', "".join(blocks)))):
        report = subprocess.run(
            [sys.executable, "-m", "mock_server", "journal-report", "--base-url",
             stagemock_server.url, "--api-key", key, "--fail-on", "guesses"],
            capture_output=True, text=True, timeout=60, check=False)
        assert report.returncode == 0, report.stdout[-3000:]
