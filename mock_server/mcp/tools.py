"""The MCP tools: one ``ToolDef`` per StagePro operation an agent needs, plus ``wait_for_job``,
``upload_image`` and the mock-only ``advance_clock`` / ``read_journal`` / ``inject_fault`` /
``clear_faults``.

Each tool's input schema comes from the spec (``schemas.tool_schema``); descriptions say what
a tool does, when to use it and what it costs (``fixtures/prices.yaml``). Tools return a list
of parts: ``Data`` (the API's JSON object: the result's structured content, and its first text
block as JSON alone), ``str`` (a hint for the model: a later text block) and ``Image`` (JPEG
bytes); the server turns them into MCP content. This module does not import the MCP SDK.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from ..limits import JOBS_PAGE_DEFAULT, UPLOAD_MAX_BYTES
from . import schemas
from .client import ApiCallError, StageProClient

#: ``wait_for_job`` never waits longer than this (seconds), whatever it is asked.
MAX_WAIT_SECONDS = 120.0
TERMINAL = ("completed", "failed")


@dataclass(frozen=True)
class Image:
    data: bytes
    mime_type: str = "image/jpeg"


@dataclass(frozen=True)
class Data:
    """The object a tool answers with (the API's JSON, as decoded)."""

    value: Any

    def text(self) -> str:
        return json.dumps(self.value, indent=1, ensure_ascii=False)


Part = str | Image | Data
Runner = Callable[[StageProClient, dict[str, Any]], Awaitable[list[Part]]]


@dataclass(frozen=True)
class ToolDef:
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    run: Runner
    #: The spec operation the schema comes from (method, path) and the body fields left out.
    operation: tuple[str, str] | None = None
    omit: tuple[str, ...] = ()
    read_only: bool = False
    mock_only: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class ToolFailure(Exception):
    """A failure the model should read (bad arguments the API never saw, a local file...)."""


# ------------------------------------------------------------------------------ helpers
def _dump(data: Any) -> Data:
    return Data(data)


def _id(args: dict[str, Any]) -> str:
    value = args.get("id")
    if not isinstance(value, str) or not value:
        raise ToolFailure("missing argument 'id' (the object's id, e.g. job_...)")
    return quote(value, safe="")


def _body(args: dict[str, Any], *, drop: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k not in drop}


async def job_parts(client: StageProClient, job: dict[str, Any], *, images: bool) -> list[Part]:
    """A job (its JSON, then its output URLs) and, when completed, its output images."""
    parts: list[Part] = [_dump(job)]
    outputs = ((job.get("output") or {}).get("images") or []) if isinstance(job, dict) else []
    status = job.get("status") if isinstance(job, dict) else None
    if status == "completed" and outputs:
        urls = [o.get("url") for o in outputs if o.get("url")]
        parts.append("Output image URLs:\n" + "\n".join(urls))
        if images:
            for url in urls:
                try:
                    parts.append(Image(await client.preview(url)))
                except (ApiCallError, OSError, ValueError) as exc:
                    parts.append(f"(could not fetch a preview of {url}: {exc})")
    elif status == "failed":
        err = job.get("error") or {}
        parts.append(f"Job failed: {err.get('code')}: {err.get('message')}")
    elif status in ("queued", "processing"):
        parts.append(f"Job {job.get('id')} is {status}: call wait_for_job (or get_job) "
                     "to follow it.")
    return parts


# ------------------------------------------------------------------------------ runners
async def _get_capabilities(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    return [_dump(await c.request("GET", "/capabilities"))]


async def _get_usage(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    return [_dump(await c.request("GET", "/usage"))]


async def _create_job(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    return await job_parts(c, await c.request("POST", "/jobs", json=a), images=False)


async def _get_job(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    return await job_parts(c, await c.request("GET", f"/jobs/{_id(a)}"), images=True)


async def _list_jobs(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    return [_dump(await c.request("GET", "/jobs", params=a))]


async def _regenerate_job(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    job = await c.request("POST", f"/jobs/{_id(a)}/regenerate", json=_body(a))
    return await job_parts(c, job, images=False)


async def _wait_for_job(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    job_id = _id(a)
    try:
        timeout = float(a.get("timeout_seconds", 60))
    except (TypeError, ValueError):
        raise ToolFailure("timeout_seconds must be a number of seconds") from None
    timeout = max(0.0, min(timeout, MAX_WAIT_SECONDS))
    interval = 0.25 if await c.is_mock() else 3.0  # the spec asks real servers for 3-5 s
    deadline = time.monotonic() + timeout
    while True:
        job = await c.request("GET", f"/jobs/{job_id}")
        if job.get("status") in TERMINAL or time.monotonic() >= deadline:
            break
        await asyncio.sleep(min(interval, max(0.0, deadline - time.monotonic())))
    parts = await job_parts(c, job, images=True)
    if job.get("status") not in TERMINAL:
        hint = (" On a stagemock server in --deterministic mode time moves only through "
                "advance_clock." if await c.is_mock() else "")
        parts.append(f"Still {job.get('status')} after waiting {timeout:g} s; call "
                     f"wait_for_job again.{hint}")
    return parts


async def _create_batch(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    return [_dump(await c.request("POST", "/batches", json=a))]


async def _get_batch(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    return [_dump(await c.request("GET", f"/batches/{_id(a)}"))]


async def _create_workflow(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    return [_dump(await c.request("POST", "/workflows", json=a))]


async def _get_workflow(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    return [_dump(await c.request("GET", f"/workflows/{_id(a)}"))]


MAX_UPLOAD_BYTES = UPLOAD_MAX_BYTES


async def _upload_image(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    path, url = a.get("path"), a.get("url")
    if bool(path) == bool(url):
        raise ToolFailure("give exactly one of 'path' (a local file) and 'url' (an image URL)")
    if path:
        p = Path(str(path)).expanduser()
        if not p.is_file():
            raise ToolFailure(f"no such file: {p}")
        if p.stat().st_size > MAX_UPLOAD_BYTES + 1:
            raise ToolFailure(f"{p} is over 20 MiB, the upload limit")
        data, name = p.read_bytes(), p.name
    else:
        r = await c._send("GET", str(url), headers={"user-agent": "stagemock-mcp"})
        if r.status_code >= 400:
            raise ToolFailure(f"could not download {url}: HTTP {r.status_code}")
        data = r.content
        name = Path(urlsplit(str(url)).path).name or "image.jpg"
    name = str(a.get("filename") or name)
    ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    upload = await c.request("POST", "/uploads", files={"file": (name, data, ctype)})
    return [_dump(upload), f"Use upload_id {upload.get('id')!r} in create_job, create_batch, "
            "create_workflow or start_agent_session (valid 24 h)."]


async def _start_agent_session(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    return [_dump(await c.request("POST", "/agent/sessions", json=a))]


async def _send_agent_message(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    reply = await c.request("POST", f"/agent/sessions/{_id(a)}/messages", json=_body(a))
    message = (reply.get("message") or {}).get("content", "")
    state = ("readyToRender: true — call render_agent_session to create the render job"
             if reply.get("readyToRender") else "readyToRender: false")
    return [_dump(reply), f"Agent: {message}\n\n{state}"]


async def _render_agent_session(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    job = await c.request("POST", f"/agent/sessions/{_id(a)}/render", json=_body(a))
    return await job_parts(c, job, images=False)


async def _advance_clock(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    try:
        seconds = float(a["seconds"])
    except (KeyError, TypeError, ValueError):
        raise ToolFailure("seconds must be a number") from None
    return [_dump(await c.control("advanceClock", json={"seconds": seconds}))]


async def _read_journal(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    params = {k: a[k] for k in ("since", "api") if a.get(k) is not None}
    if a.get("nonconformant"):
        params["nonconformant"] = "true"
    if not a.get("all_keys") and c.api_key:
        params["api_key"] = c.api_key
    data = await c.control("getJournal", params=params)
    entries = data.get("entries", []) if isinstance(data, dict) else data
    limit = int(a.get("limit") or JOBS_PAGE_DEFAULT)
    return [_dump({"total": len(entries), "entries": entries[-limit:]})]


async def _inject_fault(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    rule = {k: v for k, v in a.items() if v is not None or k == "times"}
    rule.setdefault("api", "stagepro")
    if "api_key" not in rule and c.api_key:
        rule["api_key"] = c.api_key  # scoped to this server's key: never another client's
    return [_dump(await c.control("createFault", json=rule))]


async def _clear_faults(c: StageProClient, a: dict[str, Any]) -> list[Part]:
    params = {} if a.get("all_keys") or not c.api_key else {"api_key": c.api_key}
    await c.control("clearFaults", params=params)
    left = await c.control("listFaults")
    return [_dump({"removed": True, "rules_left": len(left.get("data", []))})]


def _fault_schema() -> dict[str, Any]:
    """The control plane's own rule (``FaultInput`` in ``openapi/admin.yaml``), ``api``
    optional (StagePro)."""
    schema = schemas.tool_schema("post", "/__mock/faults", doc=schemas.admin_document())
    schema["required"] = [r for r in schema.get("required", []) if r != "api"]
    return schema


# ------------------------------------------------------------------------------ catalogue
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


def _id_schema(doc: dict[str, Any]) -> dict[str, Any]:
    return schemas.tool_schema("get", "/jobs/{id}", doc=doc)["properties"]["id"]


def _advance_clock_schema() -> dict[str, Any]:
    """The control plane's own request schema (``advanceClock`` in ``openapi/admin.yaml``):
    the tool takes exactly what ``POST /__mock/clock/advance`` takes."""
    schema = schemas.tool_schema("post", "/__mock/clock/advance", doc=schemas.admin_document())
    seconds = schema["properties"]["seconds"]
    seconds.setdefault("description", "How far to move the clock, in seconds (0 to "
                       f"{seconds.get('maximum', 0) / 86400:g} days).")
    return schema


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
             "are valid. Free.", _get_capabilities, "get", "/capabilities", read_only=True),
        spec("get_usage", "Usage",
             "The account's credit balance and spend, storage used and its limit, plan and "
             "job counts. Use it to check the balance before paid work or after a 402. Free.",
             _get_usage, "get", "/usage", read_only=True),
        spec("create_job", "Create an image job",
             "Create one asynchronous image job (answers at once with the job `queued`). "
             "type: empty-room (remove furniture), virtual-stage (furnish; style, room_type), "
             "interior-design (redesign in a style), edit (free-text input.prompt), or "
             "listing-tool with input.listing_tool one of: " + tools_enum + ". input needs "
             "exactly one of image_url and upload_id (see upload_image). Then follow it with "
             "wait_for_job. " + costs, _create_job, "post", "/jobs"),
        spec("get_job", "Get a job",
             "A job's status (queued, processing, completed, failed). A completed job comes "
             "with its output images (previews, long edge 512 px) and their full-size URLs; a "
             "failed one with its error code. Free.", _get_job, "get", "/jobs/{id}",
             read_only=True),
        spec("list_jobs", "List jobs",
             "Jobs of the account, oldest first, optionally only one listing (listing_id) or "
             "status; paginated (pass next_cursor as cursor). Use it to find the jobs of a "
             "listing. Free.", _list_jobs, "get", "/jobs", read_only=True),
        spec("regenerate_job", "Regenerate a job",
             "A new variation of a completed job (same type, input and metadata); 409 "
             "job_not_completed before it is completed. Costs the same as the original job. "
             + costs, _regenerate_job, "post", "/jobs/{id}/regenerate"),
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
                _wait_for_job, read_only=True),
        spec("create_batch", "Create a batch",
             "Run the same job type over 1-100 photos of a listing at once (shared input, "
             "per-photo overrides); all-or-nothing (402 if the balance cannot cover every "
             "photo). Returns batch_id and job_ids; follow with get_batch. Costs the sum of "
             "its jobs. " + costs, _create_batch, "post", "/batches"),
        spec("get_batch", "Get a batch",
             "A batch's aggregate status and counts, and each job's status; use get_job or "
             "wait_for_job on its job_ids for the images. Free.", _get_batch, "get",
             "/batches/{id}", read_only=True),
        spec("create_workflow", "Create a workflow",
             "Expand a workflow template into one batch over a listing's photos. Templates: "
             + templates + " (virtual-stage, listing-tool room-declutter, empty-room, "
             "listing-tool virtual-twilight, listing-tool sky-enhancement, interior-design). "
             "Costs the sum of its jobs. " + costs, _create_workflow, "post", "/workflows"),
        spec("get_workflow", "Get a workflow",
             "A workflow's status, counts, batch_id and job_ids. Free.", _get_workflow, "get",
             "/workflows/{id}", read_only=True),
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
                _upload_image),
        spec("start_agent_session", "Start a design-agent session",
             "Start a chat with StagePro's AI design agent about one room photo (image_url or "
             "upload_id); the session lives 24 h. Then send_agent_message until the agent is "
             "readyToRender, then render_agent_session. Chat is free.",
             _start_agent_session, "post", "/agent/sessions"),
        spec("send_agent_message", "Message the design agent",
             "Send one message to a design-agent session and get its reply and design brief "
             "(style, room type, colours, furniture). The session becomes readyToRender once "
             "the brief has a style and a room type and the user confirms (e.g. 'yes, go "
             "ahead'). Free.", _send_agent_message, "post",
             "/agent/sessions/{id}/messages", omit=("stream",)),
        spec("render_agent_session", "Render a design-agent session",
             "Create the render job of a readyToRender session (409 not_ready_to_render "
             "before): job_type interior-design (default) or virtual-stage, with the brief's "
             "style and room type unless given. Costs its job type ("
             f"{_render_costs()} on live keys). Follow with wait_for_job.",
             _render_agent_session, "post", "/agent/sessions/{id}/render"),
        ToolDef("advance_clock", "Advance the mock clock",
                "stagemock only: move the mock's clock forward so queued and processing jobs "
                "progress at once (a job takes a few seconds of mock time). Use it in tests "
                "instead of waiting, then get_job or wait_for_job. Free.",
                _advance_clock_schema(),
                _advance_clock, mock_only=True),
        ToolDef("read_journal", "Read the mock's request journal",
                "stagemock only: the requests the mock received (method, path, status, the "
                "operation matched, whether it conformed to the spec and why not), oldest "
                "first; by default only this API key's and the last 20. Free.",
                {"type": "object", "additionalProperties": False,
                 "properties": {
                     "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20,
                               "description": "At most this many, the most recent."},
                     "nonconformant": {"type": "boolean", "default": False,
                                       "description": "Only requests that broke the spec."},
                     "since": {"type": "integer", "minimum": 0,
                               "description": "Only entries after this sequence number."},
                     "all_keys": {"type": "boolean", "default": False,
                                  "description": "Every API key's requests, not only ours."},
                 }},
                _read_journal, read_only=True, mock_only=True),
        ToolDef("inject_fault", "Make the mock fail on purpose",
                "stagemock only: rehearse a failure of the real service. The next matching "
                "call (or `times` of them; null: until cleared) gets `action`: error (status "
                "429/500/502/503/504, Retry-After), delay (delay_ms), reset (no response), "
                "truncate (half a body), lose_response (the job is created, the answer lost); "
                "api 'webhooks' with duplicate, reorder or delay (delay_seconds) changes "
                "deliveries. Scoped to this server's API key unless api_key is given. Free.",
                _fault_schema(), _inject_fault, mock_only=True),
        ToolDef("clear_faults", "Remove the mock's fault rules",
                "stagemock only: remove the fault rules set for this API key (all_keys: every "
                "rule). Free.",
                {"type": "object", "additionalProperties": False,
                 "properties": {"all_keys": {"type": "boolean", "default": False,
                                             "description": "Every key's rules, not only ours."}}},
                _clear_faults, mock_only=True),
    ]
    return out


async def run_tool(tool: ToolDef, client: StageProClient, args: dict[str, Any]) -> tuple[
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
