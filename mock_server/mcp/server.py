"""The MCP server (the SDK's low-level ``Server``: it lets each tool publish the exact input
schema read from the spec, instead of one derived from a Python signature)."""

from __future__ import annotations

import base64
import logging
import sys

import mcp.types as types
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from ..jsontypes import JsonObject
from .client import StageProClient
from .tools import Data, Image, Part, ToolDef, build_tools, run_tool

log = logging.getLogger("stagemock.mcp")

INSTRUCTIONS = (
    "Tools over the StagePro API (virtual staging, interior design, listing photo tools). "
    "Jobs are asynchronous: create_job (or create_batch / create_workflow / "
    "render_agent_session), then wait_for_job, which returns the output images. "
    "sk_test_ keys never spend credits. Errors keep the API's error code."
)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("stagemock")
    except Exception:  # noqa: BLE001 - metadata missing in a bare checkout
        return "0"


def _result(parts: list[Part], is_error: bool) -> types.CallToolResult:
    """The tool's object (its first ``Data`` part) as the result's structured content and, as
    JSON alone, its first text block; then the hints (text) and images in their order."""
    data = next((p for p in parts if isinstance(p, Data)), None)
    content: list[types.ContentBlock] = []
    if data is not None:
        content.append(types.TextContent(type="text", text=data.text()))
    for part in parts:
        if isinstance(part, Image):
            content.append(types.ImageContent(type="image", mime_type=part.mime_type,
                                              data=base64.b64encode(part.data).decode("ascii")))
        elif part is not data:
            text = part.text() if isinstance(part, Data) else str(part)
            content.append(types.TextContent(type="text", text=text))
    structured = None
    if data is not None:  # MCP's structured content is a JSON object
        structured = data.value if isinstance(data.value, dict) else {"result": data.value}
    return types.CallToolResult(is_error=is_error, content=content,
                                structured_content=structured)


#: The server's lifespan context (the SDK's default: an empty dict) and a request's transport
#: request (an HTTP request; none over stdio): never read here.
Lifespan = object
TransportRequest = object


def build_server(client: StageProClient) -> Server[Lifespan]:
    tools = {t.name: t for t in build_tools()}

    async def visible() -> list[ToolDef]:
        mock = await client.is_mock()
        return [t for t in tools.values() if mock or not t.mock_only]

    async def list_tools(
        ctx: ServerRequestContext[Lifespan, TransportRequest],
        params: types.PaginatedRequestParams | None,
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[
            types.Tool(
                name=t.name, title=t.title, description=t.description,
                input_schema=t.input_schema,
                annotations=types.ToolAnnotations(
                    title=t.title, read_only_hint=t.read_only, open_world_hint=True),
            )
            for t in await visible()
        ])

    async def call_tool(
        ctx: ServerRequestContext[Lifespan, TransportRequest],
        params: types.CallToolRequestParams,
    ) -> types.CallToolResult:
        tool = tools.get(params.name)
        if tool is None:
            # a protocol error, as the MCP spec says of unknown tools (not a tool result)
            raise MCPError(INVALID_PARAMS, f"Unknown tool: {params.name!r}; known: "
                           f"{', '.join(sorted(tools))}")
        if tool.mock_only and not await client.is_mock():
            return _result(
                [f"{tool.name} needs a stagemock server (GET {client.origin}/__mock/health did "
                 "not answer): it is not part of the StagePro API"], True)
        try:
            parts, is_error = await run_tool(tool, client, dict(params.arguments or {}))
        except Exception as exc:  # a bug here must reach the model as one line, not a trace
            log.exception("tool %s failed", tool.name)
            parts, is_error = [f"{tool.name} failed: {type(exc).__name__}: {exc}"], True
        return _result(parts, is_error)

    def input_schema(name: str) -> JsonObject | None:
        tool = tools.get(name)
        return tool.input_schema if tool else None

    return Server(
        "stagemock-stagepro",
        version=_version(),
        title="StagePro (stagemock)",
        instructions=INSTRUCTIONS,
        get_tool_input_schema=input_schema,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def serve_stdio(client: StageProClient) -> None:
    from mcp.server.stdio import stdio_server

    server = build_server(client)
    try:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    finally:
        await client.aclose()


async def serve_http(client: StageProClient, host: str, port: int) -> None:
    import uvicorn

    server = build_server(client)
    app = server.streamable_http_app(host=host)
    print(f"stagemock mcp: listening on http://{host}:{port}/mcp (streamable HTTP); its "
          f"tools call the StagePro API at {client.base_url}", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    try:
        await uvicorn.Server(config).serve()
    finally:
        await client.aclose()
