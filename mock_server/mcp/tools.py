"""The MCP tools: one ``ToolDef`` per StagePro operation an agent needs, plus ``wait_for_job``,
``upload_image`` and the mock-only tools of the control plane (``mock_tools``: each operation
of ``mock_server.control.OPERATIONS`` with a ``tool``).

Each tool's input schema comes from the spec (``schemas.tool_schema``); descriptions say what
a tool does, when to use it and what it costs (``fixtures/prices.yaml``). What a tool answers
with: ``parts``. This module does not import the MCP SDK.
"""

from __future__ import annotations

from ..jsontypes import JsonObject
from . import runners, schemas
from .client import ApiCallError, StageProClient
from .mock_tools import build_mock_tools
from .parts import Data, Image, Part, Runner, ToolDef, ToolFailure
from .runners import MAX_WAIT_SECONDS

__all__ = ["Data", "Image", "Part", "ToolDef", "ToolFailure", "build_tools", "run_tool"]


def _costs() -> str:
    p = schemas.prices()
    types = ", ".join(f"{k} {v}" for k, v in p["job_types"].items())
    tools = ", ".join(f"{k} {v}" for k, v in p.get("listing_tools", {}).items())
    return (f"Credits (live keys only; sk_test_ keys never spend): {types}; listing tools "
            f"{p['job_types']['listing-tool']} each except {tools}.")


def _render_costs() -> str:
    """What an agent render costs, per job type it may take (``fixtures/prices.yaml``)."""
    p = schemas.prices()["job_types"]
    return ", ".join(f"{t} {p[t]}" for t in ("interior-design", "virtual-stage"))


def _id_schema(doc: JsonObject) -> JsonObject:
    return schemas.tool_schema("get", "/jobs/{id}", doc=doc)["properties"]["id"]


def build_tools() -> list[ToolDef]:
    doc = schemas.document()
    costs = _costs()
    tools_enum = ", ".join(schemas.enum_of("ListingTool", doc))
    templates = ", ".join(schemas.enum_of("WorkflowTemplate", doc))

    def spec(name: str, title: str, description: str, run: Runner, method: str, path: str,
             *, omit: tuple[str, ...] = (), read_only: bool = False) -> ToolDef:
        return ToolDef(name, title, description,
                       schemas.tool_schema(method, path, omit=omit, doc=doc), run,
                       (method, path), omit, read_only)

    out = [
        spec("get_capabilities", "Capabilities",
             "What the StagePro API offers: job types, the listing tools (slug, name, "
             "category), styles, room types, aspect ratios, workflow templates, the credit "
             "price table and limits. Use it before creating jobs when unsure which values "
             "are valid. Free.", runners.get_capabilities, "get", "/capabilities", read_only=True),
        spec("get_usage", "Usage",
             "The account's credit balance and spend, storage used and its limit, plan and "
             "job counts. Use it to check the balance before paid work or after a 402. Free.",
             runners.get_usage, "get", "/usage", read_only=True),
        spec("create_job", "Create an image job",
             "Create one asynchronous image job (answers at once with the job `queued`). "
             "type: empty-room (remove furniture), virtual-stage (furnish; style, room_type), "
             "interior-design (redesign in a style), edit (free-text input.prompt), or "
             "listing-tool with input.listing_tool one of: " + tools_enum + ". input needs "
             "exactly one of image_url and upload_id (see upload_image). Then follow it with "
             "wait_for_job. " + costs, runners.create_job, "post", "/jobs"),
        spec("get_job", "Get a job",
             "A job's status (queued, processing, completed, failed). A completed job comes "
             "with its output images (previews, long edge 512 px) and their full-size URLs; a "
             "failed one with its error code. Free.", runners.get_job, "get", "/jobs/{id}",
             read_only=True),
        spec("list_jobs", "List jobs",
             "Jobs of the account, oldest first, optionally only one listing (listing_id) or "
             "status; paginated (pass next_cursor as cursor). Use it to find the jobs of a "
             "listing. Free.", runners.list_jobs, "get", "/jobs", read_only=True),
        spec("regenerate_job", "Regenerate a job",
             "A new variation of a completed job (same type, input and metadata); 409 "
             "job_not_completed before it is completed. Costs the same as the original job. "
             + costs, runners.regenerate_job, "post", "/jobs/{id}/regenerate"),
        ToolDef("wait_for_job", "Wait for a job",
                "Wait until a job is completed or failed, polling it, for at most "
                f"timeout_seconds (default 60, capped at {MAX_WAIT_SECONDS:g}); returns the job "
                "with its output images like get_job. If it is still running at the timeout, "
                "call again. Free.",
                {"type": "object", "additionalProperties": False, "required": ["id"],
                 "properties": {
                     "id": _id_schema(doc),
                     "timeout_seconds": {"type": "number", "minimum": 0,
                                         "maximum": MAX_WAIT_SECONDS, "default": 60,
                                         "description": "How long to wait at most (seconds)."},
                 }},
                runners.wait_for_job, read_only=True),
        spec("create_batch", "Create a batch",
             "Run the same job type over 1-100 photos of a listing at once (shared input, "
             "per-photo overrides); all-or-nothing (402 if the balance cannot cover every "
             "photo). Returns batch_id and job_ids; follow with get_batch. Costs the sum of "
             "its jobs. " + costs, runners.create_batch, "post", "/batches"),
        spec("get_batch", "Get a batch",
             "A batch's aggregate status and counts, and each job's status; use get_job or "
             "wait_for_job on its job_ids for the images. Free.", runners.get_batch, "get",
             "/batches/{id}", read_only=True),
        spec("create_workflow", "Create a workflow",
             "Expand a workflow template into one batch over a listing's photos. Templates: "
             + templates + " (virtual-stage, listing-tool room-declutter, empty-room, "
             "listing-tool virtual-twilight, listing-tool sky-enhancement, interior-design). "
             "Costs the sum of its jobs. " + costs, runners.create_workflow, "post", "/workflows"),
        spec("get_workflow", "Get a workflow",
             "A workflow's status, counts, batch_id and job_ids. Free.", runners.get_workflow,
             "get", "/workflows/{id}", read_only=True),
        ToolDef("upload_image", "Upload an image",
                "Upload an image (JPEG, PNG or WebP, at most 20 MiB) from a local file path "
                "or a URL; returns its upload_id, usable for 24 h in create_job, "
                "create_batch, create_workflow and start_agent_session. Uploads count "
                "against storage (403 when full); no credits.",
                {"type": "object", "additionalProperties": False,
                 "properties": {
                     "path": {"type": "string", "minLength": 1,
                              "description": "A local image file to upload."},
                     "url": {"type": "string", "format": "uri",
                             "description": "An image URL to download, then upload."},
                     "filename": {"type": "string", "minLength": 1, "maxLength": 255,
                                  "description": "The name to upload it as (default: the "
                                  "file's or URL's name). A name starting with fail- is a "
                                  "magic input: jobs of it fail with that code."},
                 },
                 "oneOf": [{"required": ["path"]}, {"required": ["url"]}]},
                runners.upload_image),
        spec("start_agent_session", "Start a design-agent session",
             "Start a chat with StagePro's AI design agent about one room photo (image_url or "
             "upload_id); the session lives 24 h. Then send_agent_message until the agent is "
             "readyToRender, then render_agent_session. Chat is free.",
             runners.start_agent_session, "post", "/agent/sessions"),
        spec("send_agent_message", "Message the design agent",
             "Send one message to a design-agent session and get its reply and design brief "
             "(style, room type, colours, furniture). The session becomes readyToRender once "
             "the brief has a style and a room type and the user confirms (e.g. 'yes, go "
             "ahead'). Free.", runners.send_agent_message, "post",
             "/agent/sessions/{id}/messages", omit=("stream",)),
        spec("render_agent_session", "Render a design-agent session",
             "Create the render job of a readyToRender session (409 not_ready_to_render "
             "before): job_type interior-design (default) or virtual-stage, with the brief's "
             "style and room type unless given. Costs its job type ("
             f"{_render_costs()} on live keys). Follow with wait_for_job.",
             runners.render_agent_session, "post", "/agent/sessions/{id}/render"),
    ]
    return out + build_mock_tools()


async def run_tool(tool: ToolDef, client: StageProClient, args: JsonObject) -> tuple[
        list[Part], bool]:
    """Run ``tool``; (parts, is_error). API errors keep the API's code and message; a 402 also
    says the balance."""
    try:
        return await tool.run(client, dict(args or {})), False
    except ApiCallError as exc:
        text = str(exc)
        if exc.status == 402:
            try:
                usage = await client.request("GET", "/usage")
                credits = usage.get("credits") or {}
                text += f" (balance: {credits.get('balance')} credits)"
            except ApiCallError:
                pass
        return [text], True
    except ToolFailure as exc:
        return [str(exc)], True
