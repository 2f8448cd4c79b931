"""``stagemock mcp`` run as a subprocess over stdio with the SDK's own client
(``ClientSession`` + ``stdio_client``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from .conftest import ROOT


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
