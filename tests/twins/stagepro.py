"""A StagePro v1 server written from the StagePro reference alone (``/work/shared/seeds/
000_*.txt``), never from this project's specs: it obeys what the reference states and, where
the reference is silent, chooses unlike this project's mock (bare UUIDs, ``{"error": "..."}``
bodies, minimal job bodies, offset pagination, plain-text 404s, short configurable timings).

``create_app(breaking=True)`` breaks exactly the three documented rules in :data:`BREAKS`.
The agent and console endpoints live in ``tests/twins/stagepro_more.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from tests.twins import stagepro_rules as rules
from tests.twins.common import (
    BadBody,
    Clock,
    Files,
    form_of,
    image_size,
    json_object,
    new_id,
    render_jpeg,
    wall_clock,
)

BREAKS = [
    {"rule": "a finished job's status is `completed` (the twin says `done`)",
     "section": "Poll for results", "operation": "GET /api/v1/jobs/{id}"},
    {"rule": "POST /batches returns `batch_id` (the twin says `batchId`)",
     "section": "Batch processing", "operation": "POST /api/v1/batches"},
    {"rule": "POST /jobs returns 202 (the twin answers 200)",
     "section": "Create a job", "operation": "POST /api/v1/jobs"},
]


def error(status: int, message: str) -> JSONResponse:
    """The twin's error body: a bare message string (the reference shows none)."""
    return JSONResponse({"error": message}, status)


def not_found() -> PlainTextResponse:
    return PlainTextResponse("Not found", 404)


@dataclass
class Job:
    id: str
    key: str
    kind: str
    input: dict
    listing_id: str | None
    start: float
    due: float
    fails: bool
    source: bytes | None = None

    def status(self, now: float) -> str:
        if now >= self.due:
            return "failed" if self.fails else "completed"
        return "queued" if now < self.start else "running"


@dataclass
class Upload:
    key: str
    data: bytes
    expires: float


@dataclass
class Batch:
    id: str
    job_ids: list[str]


@dataclass
class Account:
    """What the twin keeps per API key: each key is its own sandbox."""

    credits: int | None                     # None: a test key, which never spends
    jobs: dict[str, Job] = field(default_factory=dict)
    idempotent: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request, str], Awaitable[Response]]


class StagePro:
    """The twin's state and its API-key endpoints."""

    def __init__(self, breaking: bool, job_seconds: float, clock: Clock) -> None:
        self.breaking, self.job_seconds, self.clock = breaking, job_seconds, clock
        self.accounts: dict[str, Account] = {
            key: Account(credits) for key, credits in rules.LIVE_CREDITS.items()}
        self.revoked = {rules.REVOKED_KEY}
        self.uploads: dict[str, Upload] = {}
        self.batches: dict[str, Batch] = {}
        self.workflows: dict[str, tuple[str, str]] = {}
        self.webhooks: dict[str, dict] = {}
        self.jobs: dict[str, Job] = {}
        self.files = Files()

    # --- keys, credits, storage -------------------------------------------------------
    def account(self, request: Request) -> str | Response:
        header = request.headers.get("authorization", "")
        key = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if key in self.revoked:
            return error(401, "API key revoked")
        if key.startswith(rules.TEST_PREFIX) and len(key) > len(rules.TEST_PREFIX):
            self.accounts.setdefault(key, Account(None))
            return key
        if key in self.accounts:
            return key
        return error(401, "Invalid API key")

    def spend(self, key: str, credits: int) -> bool:
        account = self.accounts[key]
        if account.credits is None:
            return True
        if account.credits < credits:
            return False
        account.credits -= credits
        return True

    def storage_used(self, key: str) -> int:
        if key == rules.FULL_KEY:
            return rules.STORAGE_LIMIT
        now = self.clock()
        return sum(len(u.data) for u in self.uploads.values() if u.key == key and u.expires > now)

    def live_upload(self, key: str, upload_id: str) -> Upload | None:
        upload = self.uploads.get(upload_id)
        if upload is None or upload.key != key or upload.expires <= self.clock():
            return None
        return upload

    def webhook_problem(self, hook_id: str) -> str | None:
        hook = self.webhooks.get(hook_id)
        if hook is None:
            return "webhook_endpoint_id is unknown"
        if not hook["verified"]:
            return "webhook endpoint has not completed its verification challenge"
        return None

    # --- jobs ---------------------------------------------------------------------------
    def check(self, key: str, body: dict) -> None:
        rules.check_job(body, lambda u: self.live_upload(key, u) is not None,
                        self.webhook_problem)

    def make_job(self, key: str, kind: str, data: dict, listing_id: str | None,
                 delay: float = 0.0) -> Job:
        """A job whose run starts ``delay`` s from now (a batch's later waves wait)."""
        now = self.clock()
        upload = self.live_upload(key, data["upload_id"]) if data.get("upload_id") else None
        source = upload.data if upload else None
        fails = source is not None and image_size(source) is None
        start = now + delay + self.job_seconds * 0.3
        job = Job(new_id(), key, kind, data, listing_id, start, now + delay + self.job_seconds,
                  fails, source)
        self.accounts[key].jobs[job.id] = job
        self.jobs[job.id] = job
        self.files.add(f"{job.id}.jpg", lambda: self.output(job))
        return job

    def output(self, job: Job) -> bytes | None:
        if job.status(self.clock()) != "completed":
            return None
        return render_jpeg(job.id, (96, 64), job.source)

    def view(self, request: Request, job: Job, polled: bool = False) -> dict:
        """A job as the twin shows it: id and status, plus the output URL once completed or
        the reason once failed. The breaking variant says ``done`` for ``completed`` where a
        job is polled (GET /jobs/{id}) and nowhere else, so it breaks one rule once."""
        status = job.status(self.clock())
        shown = "done" if self.breaking and polled and status == "completed" else status
        out: dict = {"id": job.id, "status": shown}
        if status == "completed":
            out["result_url"] = self.files.url(request, f"{job.id}.jpg")
        elif status == "failed":
            out["reason"] = "the uploaded file is not an image"
        return out

    def own_job(self, key: str, job_id: str) -> Job | None:
        return self.accounts[key].jobs.get(job_id)

    async def create_job(self, request: Request, key: str) -> Response:
        body = await json_object(request)
        self.check(key, body)
        account = self.accounts[key]
        idem = body.get("idempotency_key")
        if idem is not None and idem in account.idempotent:
            job = account.jobs[account.idempotent[idem]]
        else:
            if not self.spend(key, 1):
                return error(402, "Insufficient credits")
            metadata = body.get("metadata") or {}
            listing = metadata.get("listing_id")
            job = self.make_job(key, body["type"], body["input"],
                                listing if isinstance(listing, str) else None)
            if idem is not None:
                account.idempotent[idem] = job.id
        # "Create a job" shows the answer as 202 with status queued, a replayed key included.
        return JSONResponse({"id": job.id, "status": "queued"}, 200 if self.breaking else 202)

    async def get_job(self, request: Request, key: str) -> Response:
        job = self.own_job(key, request.path_params["id"])
        return JSONResponse(self.view(request, job, polled=True)) if job else not_found()

    async def list_jobs(self, request: Request, key: str) -> Response:
        query = request.query_params
        listing = query.get("listing_id")
        if not listing:
            raise BadBody("listing_id is required")
        try:
            limit = int(query.get("limit", "20"))
            offset = int(query.get("offset", "0"))
        except ValueError as exc:
            raise BadBody("limit and offset must be integers") from exc
        if not 1 <= limit <= 100 or offset < 0:
            raise BadBody("limit must be 1-100 and offset at least 0")
        jobs = [j for j in self.accounts[key].jobs.values() if j.listing_id == listing]
        page = jobs[offset:offset + limit]
        more = offset + limit < len(jobs)
        return JSONResponse({"jobs": [self.view(request, j) for j in page], "total": len(jobs),
                             "next_offset": offset + limit if more else None})

    async def regenerate(self, request: Request, key: str) -> Response:
        job = self.own_job(key, request.path_params["id"])
        if job is None:
            return not_found()
        if job.status(self.clock()) != "completed":
            raise BadBody("only a completed job can be regenerated")
        if not self.spend(key, 1):
            return error(402, "Insufficient credits")
        again = self.make_job(key, job.kind, job.input, job.listing_id)
        return JSONResponse({"id": again.id, "status": "queued"}, 201)

    # --- batches and workflows --------------------------------------------------------------
    def start_batch(self, key: str, kind: object, shared: dict, photos: object,
                    listing: object, hook: object) -> Batch | Response:
        if listing is not None and not isinstance(listing, str):
            raise BadBody("listing_id must be a string")
        inputs = rules.batch_inputs(kind, shared, photos)
        for data, _label in inputs:
            self.check(key, {"type": kind, "input": data, "webhook_endpoint_id": hook})
        if not self.spend(key, len(inputs)):
            return error(402, "Insufficient credits")
        wave = self.job_seconds
        jobs = [self.make_job(key, str(kind), data, listing,
                              delay=(n // rules.PARALLEL_JOBS) * wave)
                for n, (data, _label) in enumerate(inputs)]
        batch = Batch(new_id(), [j.id for j in jobs])
        self.batches[batch.id] = batch
        return batch

    async def create_batch(self, request: Request, key: str) -> Response:
        body = await json_object(request)
        shared = body.get("input", {})
        if not isinstance(shared, dict):
            raise BadBody("input must be an object")
        batch = self.start_batch(key, body.get("type"), shared, body.get("photos"),
                                 body.get("listing_id"), body.get("webhook_endpoint_id"))
        if isinstance(batch, Response):
            return batch
        name = "batchId" if self.breaking else "batch_id"
        return JSONResponse({name: batch.id, "job_ids": batch.job_ids}, 201)

    def batch_view(self, batch: Batch) -> dict:
        now = self.clock()
        states = [self.jobs[j].status(now) for j in batch.job_ids]
        done = sum(s == "completed" for s in states)
        failed = sum(s == "failed" for s in states)
        return {"id": batch.id, "status": "completed" if done + failed == len(states)
                else "running", "job_ids": batch.job_ids, "completed": done, "failed": failed}

    async def get_batch(self, request: Request, key: str) -> Response:
        batch = self.batches.get(request.path_params["id"])
        if batch is None or self.jobs[batch.job_ids[0]].key != key:
            return not_found()
        return JSONResponse(self.batch_view(batch))

    async def create_workflow(self, request: Request, key: str) -> Response:
        body = await json_object(request)
        template = body.get("template")
        if template not in rules.TEMPLATES:
            raise BadBody(f"template must be one of {', '.join(rules.TEMPLATES)}")
        defaults = body.get("defaults", {})
        if not isinstance(defaults, dict):
            raise BadBody("defaults must be an object")
        kind, tool = rules.TEMPLATES[template]
        shared = {**defaults, **({"listing_tool": tool} if tool else {})}
        batch = self.start_batch(key, kind, shared, body.get("photos"), body.get("listing_id"),
                                 body.get("webhook_endpoint_id"))
        if isinstance(batch, Response):
            return batch
        workflow = new_id()
        self.workflows[workflow] = (template, batch.id)
        return JSONResponse({"id": workflow, "batch_id": batch.id, "job_ids": batch.job_ids},
                            201)

    async def get_workflow(self, request: Request, key: str) -> Response:
        found = self.workflows.get(request.path_params["id"])
        if found is None:
            return not_found()
        template, batch_id = found
        batch = self.batches[batch_id]
        if self.jobs[batch.job_ids[0]].key != key:
            return not_found()
        view = self.batch_view(batch)
        return JSONResponse({**view, "id": request.path_params["id"], "template": template,
                             "batch_id": batch_id})

    # --- uploads, capabilities, usage ---------------------------------------------------
    async def upload(self, request: Request, key: str) -> Response:
        async with form_of(request) as form:
            file = form.get("file")
            if file is None or isinstance(file, str):
                raise BadBody("multipart form field file is required")
            data = await file.read()
        if self.storage_used(key) + len(data) > rules.STORAGE_LIMIT:
            return error(403, "Storage limit exceeded")
        upload_id = new_id()
        expires = self.clock() + rules.UPLOAD_TTL
        self.uploads[upload_id] = Upload(key, data, expires)
        return JSONResponse({"upload_id": upload_id, "expires_at": int(expires)})

    async def capabilities(self, request: Request, key: str) -> Response:
        return JSONResponse({"types": list(rules.JOB_TYPES),
                             "listing_tools": list(rules.LISTING_TOOLS),
                             "templates": list(rules.TEMPLATES)})

    async def usage(self, request: Request, key: str) -> Response:
        credits = self.accounts[key].credits
        return JSONResponse({
            "credits": 100 if credits is None else credits,
            "storage": {"used_bytes": self.storage_used(key),
                        "limit_bytes": rules.STORAGE_LIMIT},
            "plan_limits": {"parallel_jobs": rules.PARALLEL_JOBS},
        })

    # --- routing ------------------------------------------------------------------------
    def keyed(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """An endpoint behind the API key: 401 without a valid one, 400 for a bad body."""
        async def endpoint(request: Request) -> Response:
            key = self.account(request)
            if isinstance(key, Response):
                return key
            try:
                return await handler(request, key)
            except BadBody as exc:
                return error(400, str(exc))
        return endpoint


def create_app(breaking: bool = False, job_seconds: float = 1.0,
               clock: Clock = wall_clock) -> Starlette:
    """The StagePro twin: the API under ``/api/v1``, its result files under ``/files``."""
    from tests.twins import stagepro_more

    sp = StagePro(breaking, job_seconds, clock)
    k = sp.keyed
    api = [
        Route("/capabilities", k(sp.capabilities), methods=["GET"]),
        Route("/usage", k(sp.usage), methods=["GET"]),
        Route("/jobs", k(sp.create_job), methods=["POST"]),
        Route("/jobs", k(sp.list_jobs), methods=["GET"]),
        Route("/jobs/{id}", k(sp.get_job), methods=["GET"]),
        Route("/jobs/{id}/regenerate", k(sp.regenerate), methods=["POST"]),
        Route("/batches", k(sp.create_batch), methods=["POST"]),
        Route("/batches/{id}", k(sp.get_batch), methods=["GET"]),
        Route("/workflows", k(sp.create_workflow), methods=["POST"]),
        Route("/workflows/{id}", k(sp.get_workflow), methods=["GET"]),
        Route("/uploads", k(sp.upload), methods=["POST"]),
        *stagepro_more.routes(sp),
    ]
    app = Starlette(routes=[Mount("/api/v1", routes=api),
                            Route("/files/{name}", sp.files.serve, methods=["GET"])])
    app.state.twin = sp
    return app
