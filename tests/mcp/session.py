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


def call_tool(mock_url: str, key: str, name: str, args: dict[str, Any],
              with_data: bool = False) -> tuple[str, bool]:
    """Run one tool in process against ``mock_url``: its text parts joined (with
    ``with_data``, the API's object as JSON too, as the first text block carries it) and
    whether it is an error."""
    from mock_server.mcp.client import StageProClient
    from mock_server.mcp.tools import Data, build_tools, run_tool

    tools = {t.name: t for t in build_tools()}

    async def main() -> tuple[str, bool]:
        client = StageProClient(mock_url + "/api/v1", key, timeout=10)
        try:
            parts, is_error = await run_tool(tools[name], client, args)
        finally:
            await client.aclose()
        texts = [p.text() if isinstance(p, Data) else p for p in parts
                 if isinstance(p, str) or (with_data and isinstance(p, Data))]
        return "\n".join(texts), is_error

    return anyio.run(main)
