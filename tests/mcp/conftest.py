"""Fixtures of the MCP server's tests: a deterministic mock shared by the session. The helpers that drive
``stagemock mcp`` with the SDK's client are in ``session.py``. Without the ``stagemock[mcp]``
extra only ``test_cli.py`` runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_server.settings import Settings
from mock_server.testing import RunningServer

ROOT = Path(__file__).resolve().parents[2]

try:
    import mcp  # noqa: F401
except ImportError:
    collect_ignore_glob = ["test_[!c]*.py", "session.py"]


@pytest.fixture(scope="session")
def mock() -> Iterator[RunningServer]:
    with RunningServer(Settings(deterministic=True, image_workers=0)) as server:
        yield server
