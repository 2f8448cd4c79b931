"""pytest loads ``mock_server.pytest_plugin`` in every run wherever stagemock is installed, so
importing it must stay cheap and must not pull in the server (Starlette, NumPy, Pillow) or
even an HTTP client: those load when a test first asks for a fixture."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("starlette", "uvicorn", "numpy", "PIL", "httpx", "yaml", "mock_server.app")

PROBE = f"""
import json, sys, time
import pytest
t = time.perf_counter()
import mock_server.pytest_plugin
took = time.perf_counter() - t
print(json.dumps({{"seconds": took,
                  "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def probe() -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return json.loads(out)


def test_importing_the_plugin_loads_nothing_heavy():
    assert probe()["heavy"] == []


def test_importing_the_plugin_takes_at_most_50_ms():
    best = min(probe()["seconds"] for _ in range(5))  # the best of 5: a loaded CI box is noisy
    assert best <= 0.050, f"importing the pytest plugin took {best * 1000:.1f} ms"
