"""Helpers for the MCP server's tests: a deterministic mock per module, and ``stagemock mcp``
run as a subprocess over stdio with the SDK's own client (``ClientSession`` + ``stdio_client``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp", reason="the stagemock[mcp] extra is not installed")

import anyio  # noqa: E402
from mcp import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

from mock_server.settings import Settings  # noqa: E402
from mock_server.testing import RunningServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mock() -> Iterator[RunningServer]:
    with RunningServer(Settings(deterministic=True, image_workers=0)) as server:
        yield server


def stdio_params(base_url: str, api_key: str, *args: str) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAGEPRO_")}
    env.update({"STAGEPRO_BASE_URL": base_url, "STAGEPRO_API_KEY": api_key})
    return StdioServerParameters(
        command=sys.executable, args=["-m", "mock_server", "mcp", *args], env=env, cwd=str(ROOT)
    )


def run_session(
    base_url: str, api_key: str, body: Callable[[ClientSession], Awaitable[Any]],
    *args: str, timeout: float = 30.0,
) -> Any:
    """Start ``stagemock mcp`` over stdio, initialise a session, run ``body(session)``."""
    async def main() -> Any:
        with anyio.fail_after(timeout):
            async with stdio_client(stdio_params(base_url, api_key, *args)) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await body(session)

    return anyio.run(main)


def text_of(result: Any) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", None) == "text")


def images_of(result: Any) -> list[Any]:
    return [c for c in result.content if getattr(c, "type", None) == "image"]
