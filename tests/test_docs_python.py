"""The Python code blocks of README.md and docs/*.md run as printed (issue 34): a block that
defines ``test_`` functions is a test module of an integrator's suite, run by a pytest of its
own with the plugin; any other block is a script, run against a live mock, with the one
rewrite a reader makes by hand (``127.0.0.1:8000`` becomes the test server's address).

docs/webhooks.md's blocks, faults.md's "Recipes" and mcp.md's HTTP client run in their own
tests (``tests/webhooks/test_docs_snippets.py``, ``tests/faults/test_docs_recipes.py``,
``tests/mcp/test_http.py``); every other
block runs here, and a new one must run somewhere: the count below says so."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from mock_server.settings import Settings
from mock_server.testing import RunningServer

ROOT = Path(__file__).resolve().parents[1]
#: (file, section) whose blocks another test runs as printed.
ELSEWHERE = {("docs/webhooks.md", None), ("docs/faults.md", "Recipes"),
             ("docs/mcp.md", "Over streamable HTTP")}


def _blocks() -> list[tuple[str, str, str]]:
    """Every ```python block not run elsewhere: (file, section, code)."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        name = str(path.relative_to(ROOT))
        section = ""
        inside: list[str] | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if inside is not None:
                if line.startswith("```"):
                    if (name, None) not in ELSEWHERE and (name, section) not in ELSEWHERE:
                        found.append((name, section, "\n".join(inside) + "\n"))
                    inside = None
                else:
                    inside.append(line)
            elif line.startswith("```python"):
                inside = []
            elif line.startswith("## "):
                section = line[3:].strip()
    return found


def test_every_python_block_of_the_docs_is_run_somewhere():
    where = [(f, s) for f, s, _ in _blocks()]
    assert len(where) == 4, where  # a new block: run it here (or say where it runs)


def test_the_test_blocks_pass_as_printed(tmp_path):
    tests = [(f, s, code) for f, s, code in _blocks() if re.search(r"^def test_", code, re.M)]
    assert len(tests) == 3, [(f, s) for f, s, _ in tests]
    for i, (_name, _section, code) in enumerate(tests):
        (tmp_path / f"test_doc_block_{i}.py").write_text(code, encoding="utf-8")
    report = tmp_path / "junit.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-p", "no:xdist", "--stagemock-image-workers", "0", f"--junitxml={report}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": "/usr/bin:/bin"})
    cases = list(ET.parse(report).getroot().iter("testcase"))
    assert len(cases) == 3, proc.stdout[-3000:]
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_the_script_blocks_run_as_printed_against_a_live_mock():
    scripts = [(f, s, code) for f, s, code in _blocks() if not re.search(r"^def test_", code,
                                                                          re.M)]
    assert [(f, s) for f, s, _ in scripts] == [("docs/faults.md", "From Python")]
    with RunningServer(Settings(deterministic=True, image_workers=0)) as server:
        for name, section, code in scripts:
            code = code.replace("http://127.0.0.1:8000", server.url)
            scope: dict[str, object] = {"__name__": "doc_block"}
            exec(compile(code, f"{name}: {section}", "exec"), scope)
        assert server.faults() == []  # the block cleared what it set
