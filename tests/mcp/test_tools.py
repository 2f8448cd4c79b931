"""The tools beyond single jobs, run in-process against the mock (``run_tool`` is what the
server calls for every ``tools/call``): capabilities, usage, uploads, batches, workflows with
every template, listing and regeneration."""

from __future__ import annotations

import json
from pathlib import Path

import anyio

from mock_server.mcp import schemas
from mock_server.mcp.client import StageProClient
from mock_server.mcp.tools import Data, Image, build_tools, run_tool

PHOTOS = Path(__file__).resolve().parents[2] / "fixtures" / "photos"


class Tools:
    def __init__(self, mock, key: str) -> None:
        self.mock, self.key = mock, key
        self.tools = {t.name: t for t in build_tools()}

    def __call__(self, name: str, **args):
        async def main():
            client = StageProClient(self.mock.url + "/api/v1", self.key, timeout=20)
            try:
                return await run_tool(self.tools[name], client, args)
            finally:
                await client.aclose()

        parts, is_error = anyio.run(main)
        assert not is_error, parts
        return parts

    def json(self, name: str, **args):
        parts = self(name, **args)
        assert isinstance(parts[0], Data), parts  # the object first, hints after
        return json.loads(parts[0].text())


def test_capabilities_usage_upload_batch_workflows_list_regenerate(mock):
    t = Tools(mock, "sk_test_mcp_tools")
    caps = t.json("get_capabilities")
    assert "prices" in caps
    assert t.json("get_usage")["credits"]["unlimited"] is True

    photo = sorted(p for p in PHOTOS.iterdir() if p.suffix in (".jpg", ".jpeg", ".png"))[0]
    upload = t.json("upload_image", path=str(photo))
    assert upload["id"].startswith("upl_") and upload["filename"] == photo.name
    from_url = t.json("upload_image", url=upload["url"], filename="again.jpg")
    assert from_url["filename"] == "again.jpg" and from_url["width"] == upload["width"]

    batch = t.json("create_batch", type="listing-tool", listing_id="MLS-MCP-1",
                   input={"listing_tool": "room-declutter"},
                   photos=[{"upload_id": upload["id"], "label": "kitchen"},
                           {"image_url": "https://example.com/living.jpg", "label": "living"}])
    assert len(batch["job_ids"]) == 2
    assert t.json("get_batch", id=batch["id"])["id"] == batch["id"]

    for template in schemas.enum_of("WorkflowTemplate"):
        wf = t.json("create_workflow", template=template, listing_id="MLS-MCP-2",
                    photos=[{"image_url": "https://example.com/front.jpg",
                             "room_type": "living-room"}])
        assert wf["template"] == template
        assert t.json("get_workflow", id=wf["id"])["batch_id"] == wf["batch_id"]

    listed = t.json("list_jobs", listing_id="MLS-MCP-1")
    assert sorted(j["id"] for j in listed["data"]) == sorted(batch["job_ids"])

    mock.advance(120)
    done = t("get_job", id=batch["job_ids"][0])
    assert done[0].value["status"] == "completed"
    assert any(isinstance(p, Image) for p in done)
    again = t.json("regenerate_job", id=batch["job_ids"][0])
    assert again["regenerated_from"] == batch["job_ids"][0] and again["status"] == "queued"


def test_mock_extras_only_where_there_is_a_control_plane(mock):
    async def main():
        on = StageProClient(mock.url + "/api/v1", "sk_test_x")
        off = StageProClient(mock.url + "/api/v1", "sk_test_x", mock_extras=False)
        try:
            return await on.is_mock(), await off.is_mock()
        finally:
            await on.aclose()
            await off.aclose()

    assert anyio.run(main) == (True, False)
