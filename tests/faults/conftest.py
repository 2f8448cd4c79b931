from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def server(stagemock_server: Any) -> Iterator[Any]:
    """The plugin's server for tests that set rules without a key: as fresh afterwards."""
    yield stagemock_server
    stagemock_server.reset()
