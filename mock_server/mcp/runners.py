"""The runners of the MCP tools wrapping StagePro operations (``tools.build_tools`` names them
with their schemas and descriptions), plus ``wait_for_job`` and ``upload_image``."""

from __future__ import annotations

import asyncio
import mimetypes
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

from ..jsontypes import JsonObject
from ..limits import UPLOAD_MAX_BYTES
from .client import ApiCallError, StageProClient
from .parts import Image, Part, ToolFailure, dump

#: ``wait_for_job`` never waits longer than this (seconds), whatever it is asked.
MAX_WAIT_SECONDS = 120.0
TERMINAL = ("completed", "failed")


def _id(args: JsonObject) -> str:
    value = args.get("id")
    if not isinstance(value, str) or not value:
        raise ToolFailure("missing argument 'id' (the object's id, e.g. job_...)")
    return quote(value, safe="")


def _body(args: JsonObject, *, drop: tuple[str, ...] = ("id",)) -> JsonObject:
    return {k: v for k, v in args.items() if k not in drop}


async def job_parts(client: StageProClient, job: JsonObject, *, images: bool) -> list[Part]:
    """A job (its JSON, then its output URLs) and, when completed, its output images."""
    parts: list[Part] = [dump(job)]
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


async def get_capabilities(c: StageProClient, a: JsonObject) -> list[Part]:
    return [dump(await c.request("GET", "/capabilities"))]


async def get_usage(c: StageProClient, a: JsonObject) -> list[Part]:
    return [dump(await c.request("GET", "/usage"))]


async def create_job(c: StageProClient, a: JsonObject) -> list[Part]:
    return await job_parts(c, await c.request("POST", "/jobs", json=a), images=False)


async def get_job(c: StageProClient, a: JsonObject) -> list[Part]:
    return await job_parts(c, await c.request("GET", f"/jobs/{_id(a)}"), images=True)


async def list_jobs(c: StageProClient, a: JsonObject) -> list[Part]:
    return [dump(await c.request("GET", "/jobs", params=a))]


async def regenerate_job(c: StageProClient, a: JsonObject) -> list[Part]:
    job = await c.request("POST", f"/jobs/{_id(a)}/regenerate", json=_body(a))
    return await job_parts(c, job, images=False)


async def wait_for_job(c: StageProClient, a: JsonObject) -> list[Part]:
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


async def create_batch(c: StageProClient, a: JsonObject) -> list[Part]:
    return [dump(await c.request("POST", "/batches", json=a))]


async def get_batch(c: StageProClient, a: JsonObject) -> list[Part]:
    return [dump(await c.request("GET", f"/batches/{_id(a)}"))]


async def create_workflow(c: StageProClient, a: JsonObject) -> list[Part]:
    return [dump(await c.request("POST", "/workflows", json=a))]


async def get_workflow(c: StageProClient, a: JsonObject) -> list[Part]:
    return [dump(await c.request("GET", f"/workflows/{_id(a)}"))]


MAX_UPLOAD_BYTES = UPLOAD_MAX_BYTES


async def upload_image(c: StageProClient, a: JsonObject) -> list[Part]:
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
    return [dump(upload), f"Use upload_id {upload.get('id')!r} in create_job, create_batch, "
            "create_workflow or start_agent_session (valid 24 h)."]


async def start_agent_session(c: StageProClient, a: JsonObject) -> list[Part]:
    return [dump(await c.request("POST", "/agent/sessions", json=a))]


async def send_agent_message(c: StageProClient, a: JsonObject) -> list[Part]:
    reply = await c.request("POST", f"/agent/sessions/{_id(a)}/messages", json=_body(a))
    message = (reply.get("message") or {}).get("content", "")
    state = ("readyToRender: true — call render_agent_session to create the render job"
             if reply.get("readyToRender") else "readyToRender: false")
    return [dump(reply), f"Agent: {message}\n\n{state}"]


async def render_agent_session(c: StageProClient, a: JsonObject) -> list[Part]:
    job = await c.request("POST", f"/agent/sessions/{_id(a)}/render", json=_body(a))
    return await job_parts(c, job, images=False)
