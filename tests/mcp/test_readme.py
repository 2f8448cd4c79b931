"""The README's MCP client configuration, used as written: lists the tools and runs a job
from creation to an image in one session (wall-clock in-process mock, no clock moves)."""

from __future__ import annotations

import json
import os
import re
import sys

import anyio
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from .conftest import ROOT
from .session import images_of, text_of


def readme_config() -> dict:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## MCP server"):]
    block = re.search(r"```json\n(.*?)```", section, re.S).group(1)
    return json.loads(block)["mcpServers"]["stagepro"]


def test_readme_snippet_runs_a_job_to_an_image():
    config = readme_config()
    assert config["command"] == "stagemock" and config["args"] == ["mcp", "--with-mock"]
    assert config["env"]["STAGEPRO_API_KEY"].startswith("sk_test_")
    # `stagemock` is this interpreter's console script; run it the same way by module
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAGEPRO_")}
    env.update(config["env"])
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "mock_server", *config["args"]],
                                   env=env, cwd=str(ROOT))

    async def main():
        with anyio.fail_after(40):
            async with stdio_client(params) as (r, w):
                async with ClientSession(r, w) as s:
                    await s.initialize()
                    tools = await s.list_tools()
                    created = await s.call_tool("create_job", {
                        "type": "listing-tool",
                        "input": {"image_url": "https://example.com/front.jpg",
                                  "listing_tool": "virtual-twilight"}})
                    job_id = json.loads(created.content[0].text)["id"]
                    return tools, await s.call_tool("wait_for_job",
                                                    {"id": job_id, "timeout_seconds": 30})

    tools, done = anyio.run(main)
    names = {t.name for t in tools.tools}
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## MCP server")[1]
    listed = set(re.findall(r"`([a-z_]+)`", section.split("\n## ")[0]))
    assert names <= listed, f"tools the README does not list: {sorted(names - listed)}"
    assert not done.is_error, text_of(done)
    assert json.loads(done.content[0].text)["status"] == "completed"
    assert len(images_of(done)) == 1
