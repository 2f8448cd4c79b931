"""The dashboard (``GET /__mock/ui``) and the read-only JSON it is drawn from.

The page itself is static HTML, CSS and vanilla JS shipped inside the package
(``mock_server/admin/ui/``, read with ``importlib.resources``); everything it shows comes
from the control plane's JSON, polled. Keys and secrets are masked here, in one place."""

from __future__ import annotations

import io
from functools import partial
from importlib.resources import files
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

import orjson
from starlette.responses import Response

from ..core.clock import iso
from ..errors import NotFound
from ..http import json_response
from ..jsontypes import JsonObject
from ..spec.binding import Call
from ..stagepro.models import Account, Job
from ..stagepro.serialise import batch_json, workflow_json
from ..webhooks.models import Endpoint
from . import operation

if TYPE_CHECKING:
    from ..stagepro.backend import StageProBackend
    from ..stagerai.backend import StagerAIBackend

ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
#: The page runs only its own script and style; data can never become markup or code.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
STATUSES = ("queued", "processing", "completed", "failed")


def _ui_file(name: str) -> bytes:
    return (files("mock_server.admin") / "ui" / name).read_bytes()


def mask(secret: str | None, keep: int = 4) -> str | None:
    """``sk_test_abcdef123456`` → ``sk_test_…3456``: the prefix and the last characters."""
    if secret is None:
        return None
    for prefix in ("sk_test_", "sk_live_", "stager_test_", "stager_live_", "whsec_", "stager_"):
        if secret.startswith(prefix):
            rest = secret[len(prefix):]
            return prefix + ("…" + rest[-keep:] if len(rest) > keep else rest)
    return ("…" + secret[-keep:]) if len(secret) > keep else secret


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@operation("getDashboard")
async def getDashboard(call: Call) -> Response:
    return Response(_ui_file("index.html"), media_type="text/html; charset=utf-8",
                    headers=_headers())


@operation("getDashboardAsset")
async def getDashboardAsset(call: Call) -> Response:
    name = call.path["asset"]
    if name not in ASSETS:  # the spec's enum already refuses it; never read another file
        raise NotFound(f"no dashboard file {name!r}", field="asset")
    return Response(_ui_file(name), media_type=ASSETS[name], headers=_headers())


# accounts -------------------------------------------------------------------------------
def _stagepro(call: Call) -> StageProBackend:
    return call.context.stagepro


def _stagerai(call: Call) -> StagerAIBackend:
    return call.context.stagerai


def _job_counts(account: Account) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for job in list(account.jobs.values()):
        counts[job.status] = counts.get(job.status, 0) + 1
    return counts


@operation("listAccounts")
async def listAccounts(call: Call) -> Response:
    out: list[JsonObject] = []
    sp = _stagepro(call)
    for key, record in list(sp.state.keys.items()):
        row = sp.state.describe(record)
        row["masked_key"] = mask(key)
        row["jobs"] = _job_counts(record.account)
        out.append(row)
    sa = _stagerai(call)
    for key, account in list(sa.state.accounts.items()):
        row = sa.state.describe(account)
        row["masked_key"] = mask(key)
        row["jobs"] = None
        out.append(row)
    return json_response({"data": out})


def _known(call: Call, key: str) -> bool:
    return key in _stagepro(call).state.keys or key in _stagerai(call).state.accounts


def _sp_account(call: Call) -> Account | None:
    """The StagePro account of the path's key; ``None`` for a Stager AI account (it has no
    jobs, batches or workflows: empty lists, not an error); 404 for a key the mock does not
    know."""
    key = call.path["api_key"]
    record = _stagepro(call).state.keys.get(key)
    if record is None:
        if _known(call, key):
            return None
        raise NotFound(f"no account for key {key!r}", field="api_key")
    return record.account


def _job(call: Call) -> tuple[Account, Job]:
    """The path's job and its account (404 for a job the account does not have)."""
    account = _sp_account(call)
    job = account.jobs.get(call.path["job_id"]) if account is not None else None
    if account is None or job is None:
        raise NotFound(f"no job {call.path['job_id']!r} in this account", field="job_id")
    return account, job


def _blob_path(key: str) -> str:
    """Where the page loads a stored file: under ``/__mock/``, so that looking at outputs
    never adds requests to the journal (``/files/`` and ``/gcs/`` are journaled)."""
    return "/__mock/blobs?key=" + quote(key, safe="")


def _local(url: str | None) -> str | None:
    """The dashboard's path for a file URL of this mock (``/files/<key>`` or ``/gcs/...``)."""
    if not url:
        return None
    path = unquote(urlsplit(url).path)
    if path.startswith("/files/"):
        return _blob_path(path[len("/files/"):])
    if path.startswith("/gcs/"):
        return _blob_path(path[1:])
    return None


def _input_preview(call: Call, account: Account, job: Job) -> str:
    """Where the browser can see the job's input: the upload or served file the mock holds,
    else the synthetic photo the mock renders the output from (the URL is never fetched)."""
    upload_id = job.input.get("upload_id")
    if upload_id and not job.input.get("empty_room_url"):
        upload = account.uploads.get(upload_id)
        if upload is not None:
            return _blob_path(upload.blob_key)
    url = job.input.get("empty_room_url") or job.input.get("image_url")
    path = unquote(urlsplit(url).path) if url else ""
    if path.startswith("/files/") and call.context.blobs.get(path[len("/files/"):]) is not None:
        return _blob_path(path[len("/files/"):])
    key = quote(call.path["api_key"], safe="")
    return f"/__mock/accounts/{key}/jobs/{quote(job.id, safe='')}/input"


def _job_row(call: Call, account: Account, job: Job) -> JsonObject:
    data = job.as_json()
    images = (data.get("output") or {}).get("images") or []
    return {
        "job": data,
        "input_preview": _input_preview(call, account, job),
        "output_preview": _local(images[0]["url"]) if images else None,
        "tool": job.input.get("listing_tool"),
    }


@operation("listAccountJobs")
async def listAccountJobs(call: Call) -> Response:
    account = _sp_account(call)
    if account is None:
        return json_response({"data": [], "listings": []})
    status = call.query.get("status")
    listing = call.query.get("listing_id")
    rows = []
    for job in list(account.jobs.values()):
        if status is not None and job.status != status:
            continue
        if listing is not None and job.listing_id != listing:
            continue
        rows.append(_job_row(call, account, job))
    listings = sorted({j.listing_id for j in account.jobs.values() if j.listing_id})
    return json_response({"data": rows, "listings": listings})


def _timeline(job: Job) -> list[JsonObject]:
    t = job.task
    steps = [{"status": "queued", "at": iso(t.created_at)}]
    if t.started_at is not None:
        steps.append({"status": "processing", "at": iso(t.started_at)})
    if t.finished_at is not None:
        steps.append({"status": job.status, "at": iso(t.finished_at)})
    return steps


def _object_id(body: bytes) -> str | None:
    try:
        return orjson.loads(body)["data"]["object"]["id"]
    except (ValueError, KeyError, TypeError):
        return None


@operation("getAccountJob")
async def getAccountJob(call: Call) -> Response:
    account, job = _job(call)
    hub = call.context.webhooks
    deliveries = [d.as_json() for d in hub.list(api_key=account.key)
                  if d.type.startswith("job.") and _object_id(d.body) == job.id]
    return json_response({**_job_row(call, account, job), "timeline": _timeline(job),
                          "deliveries": deliveries})


def synthetic_input_jpeg(seed: str) -> bytes:
    """The deterministic photo the mock renders a job's output from when it holds no input
    bytes (module level: runs in an image worker)."""
    from ..images.render import synthetic_photo

    buf = io.BytesIO()
    synthetic_photo(seed, "auto").save(buf, "JPEG", quality=85)
    return buf.getvalue()


@operation("getJobInput")
async def getJobInput(call: Call) -> Response:
    _, job = _job(call)
    url = job.input.get("empty_room_url") or job.input.get("image_url")
    data = await call.context.precompute.run(partial(synthetic_input_jpeg, url or job.id))
    return Response(data, media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600"})


@operation("listAccountBatches")
async def listAccountBatches(call: Call) -> Response:
    account = _sp_account(call)
    if account is None:
        return json_response({"batches": [], "workflows": []})
    batches = [batch_json(account, b) for b in list(account.batches.values())]
    workflows = [workflow_json(account, w) for w in list(account.workflows.values())]
    return json_response({"batches": batches, "workflows": workflows})


# webhooks -------------------------------------------------------------------------------
@operation("listWebhookEndpoints")
async def listWebhookEndpoints(call: Call) -> Response:
    hub = call.context.webhooks
    key = call.query.get("api_key")
    out = []
    for endpoint in list(hub.endpoints.values()):
        if key is not None and endpoint.account_key != key:
            continue
        out.append(endpoint_json(endpoint))
    return json_response({"data": out})


def endpoint_json(endpoint: Endpoint) -> JsonObject:
    """An endpoint as the control plane shows it: secret masked, verification outcome and
    every verification attempt, force-fail state. Reading it changes nothing."""
    return {
        **endpoint.as_json(),
        "api_key": endpoint.account_key,
        "masked_key": mask(endpoint.account_key),
        "force_fail": endpoint.force_fail,
        "last_verification": endpoint.last_verification,
        "verification_attempts": list(endpoint.verifications),
        "secret_masked": mask(endpoint.secrets[-1][0]) if endpoint.secrets else None,
    }


@operation("getWebhookEndpoint")
async def getWebhookEndpoint(call: Call) -> Response:
    endpoint = call.context.webhooks.endpoints.get(call.path["endpoint_id"])
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {call.path['endpoint_id']!r}", field="endpoint_id")
    return json_response(endpoint_json(endpoint))


# Stager AI ------------------------------------------------------------------------------
@operation("getStagerAccount")
async def getStagerAccount(call: Call) -> Response:
    key = call.path["api_key"]
    account = _stagerai(call).state.accounts.get(key)
    if account is None:
        if _known(call, key):  # a StagePro account: no Stager AI objects
            return json_response({"api_key": key, "masked_key": mask(key), "projects": [],
                                  "images": []})
        raise NotFound(f"no account for key {key!r}", field="api_key")
    groups_by_project: dict[str, list[JsonObject]] = {}
    for group in list(account.groups.values()):
        groups_by_project.setdefault(group.project_id, []).append({
            "id": group.id,
            "status": group.status,
            "corrections": {
                "lens_correction": group.lens_correction,
                "perspective_correction": group.perspective_correction,
                "photographer_removal": group.photographer_removal,
            },
            "brackets": [
                {"id": b.id, "filename": b.filename, "uploaded": b.uploaded,
                 "preview": _blob_path(f"gcs/{b.bucket}/{b.object}") if b.uploaded else None}
                for b in group.brackets
            ],
            "result": _local(group.image_url),
            "error": group.error,
            "api_json": group.as_json(),
        })
    projects = [{"id": p.id, "title": p.title, "groups": groups_by_project.get(p.id, [])}
                for p in list(account.projects.values())]
    edits: dict[str, list[JsonObject]] = {}
    for result in list(account.objects["results"].values()):
        edits.setdefault(result.source_id or "", []).append({
            **result.as_json(), "operation": result.operation,
            "preview": _blob_path(result.blob_key),
        })
    images = [{**img.as_json(), "preview": _blob_path(img.blob_key),
               "edits": edits.get(img.id, [])} for img in list(account.images.values())]
    return json_response({"api_key": key, "masked_key": mask(key), "projects": projects,
                          "images": images})


@operation("getBlob")
async def getBlob(call: Call) -> Response:
    key = call.query["key"]
    blob = call.context.blobs.get(key)
    if blob is None:
        raise NotFound(f"no stored file {key!r}", field="key")
    headers = {"ETag": blob.etag, "Cache-Control": "private, max-age=31536000, immutable",
               "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "default-src 'none'; sandbox"}
    if call.request.headers.get("if-none-match") == blob.etag:
        return Response(status_code=304, headers=headers)
    # An upload's content type is whatever its client said: only images keep theirs, so a
    # stored file can never be served as a page on the dashboard's origin.
    media_type = blob.content_type if blob.content_type in IMAGE_TYPES else (
        "application/octet-stream")
    return Response(blob.data, media_type=media_type, headers=headers)


