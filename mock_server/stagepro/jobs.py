"""The StagePro job engine: jobs, credits, storage, batches, workflows and listing. Its parts:
``uploads`` (``uploads.py``) and ``outputs`` (``outputs.py``); magic inputs in ``magic.py``,
list cursors and idempotency fingerprints in ``cursors.py``; batches and workflows are
serialised by ``serialise.py``. No Starlette and no network: time, ids and the blob store are
injected; images are rendered by the pure functions of ``images/``.

Rules the vendor leaves open, decided here and in those parts (and documented in
docs/stagepro.md and the spec):
- A job is charged when it is accepted (202); a failed job is not refunded.
- Storage: an upload that would push usage over the plan's limit → 403; a job, batch or
  workflow is refused 403 when usage is already at or over the limit (its outputs would not
  fit). Outputs are written when the job completes and count from then on.
- Idempotency (kept by the handlers, ``handlers.idempotency_lookup``): the first response
  is stored; a replay with the same body returns those exact bytes; the same key with another
  body → 409 ``idempotency_conflict``. Keys are per account and per operation.
"""

from __future__ import annotations

import bisect
import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from ..core.blobs import BlobStore
from ..core.clock import Clock
from ..core.ids import IdGenerator
from ..core.lifecycle import COMPLETED, FAILED, PROCESSING, TERMINAL, Scheduler, Task
from ..core.precompute import Precomputer
from ..errors import NotFound, ValidationFailed
from ..jsontypes import JsonObject
from .catalog import WORKFLOW_TEMPLATES, Catalog
from .cursors import decode_cursor, encode_cursor
from .exceptions import InsufficientCredits, JobNotCompleted
from .magic import fail_code_of
from .models import Account, Batch, Event, Job, Workflow
from .outputs import Outputs
from .uploads import Uploads, check_storage

#: Job inputs whose values come from the spec's enums (interned: a long run keeps every job).
_ENUM_INPUTS = ("listing_tool", "style", "room_type")


@dataclass
class JobSpec:
    """One job to create, validated, before anything is charged or stored."""

    type: str
    input: JsonObject
    metadata: JsonObject
    listing_id: str | None
    price: int
    fail_code: str | None
    label: str | None = None
    variation: int = 0
    regenerated_from: str | None = None


@dataclass
class JobEngine:
    clock: Clock
    ids: IdGenerator
    blobs: BlobStore
    catalog: Catalog
    job_seconds: float = 3.0
    pickup_seconds: float = 1.0
    #: ``--fetch-remote``: an injected ``fn(url) -> bytes | None`` (the engine does no I/O);
    #: None → remote URLs become deterministic synthetic photos.
    fetch: Callable[[str], bytes | None] | None = None
    #: Where output renders run ahead of completion (default: inline, at completion).
    precompute: Precomputer = field(default_factory=Precomputer)
    #: Key of the HMAC that ties a ``next_cursor`` to its account and filters.
    cursor_secret: bytes = b"stagemock-cursor"
    #: Its parts, built from the fields above.
    uploads: Uploads = field(init=False)
    outputs: Outputs = field(init=False)

    def __post_init__(self) -> None:
        self.uploads = Uploads(self.clock, self.ids, self.blobs)
        self.outputs = Outputs(self.blobs, self.fetch, self.precompute)

    # accounts ---------------------------------------------------------------------------
    def scheduler(self, account: Account) -> Scheduler:
        if account.scheduler is None:
            account.scheduler = Scheduler(account.plan.max_parallel_jobs, self.pickup_seconds)
        account.scheduler.capacity = account.plan.max_parallel_jobs
        return account.scheduler

    # validation -------------------------------------------------------------------------
    def job_spec(
        self,
        account: Account,
        job_type: str,
        job_input: JsonObject,
        metadata: JsonObject | None,
        listing_id: str | None,
        where: str = "input",
    ) -> JobSpec:
        tool = job_input.get("listing_tool")
        # The spec states this rule (a choice on `type` in createJob and createBatch), so the
        # request's validation refuses first; it holds here too for `--lenient`, which lets a
        # guessed rule through, and for jobs the mock builds itself (a workflow's template).
        if job_type == "listing-tool":
            if not tool:
                raise ValidationFailed(
                    f"`{where}.listing_tool` is required when type is listing-tool "
                    "(a slug from GET /capabilities)",
                    field=f"{where}.listing_tool",
                )
        elif tool:
            raise ValidationFailed(
                f"`{where}.listing_tool` is only allowed when type is listing-tool",
                field=f"{where}.listing_tool",
            )
        if job_type == "virtual-stage" and job_input.get("empty_room_url") is None:
            pass  # staging the original directly is allowed
        elif job_type != "virtual-stage" and job_input.get("empty_room_url"):
            raise ValidationFailed(
                f"`{where}.empty_room_url` is only used by virtual-stage jobs",
                field=f"{where}.empty_room_url",
            )
        has_url = "image_url" in job_input
        has_upload = "upload_id" in job_input
        if has_url == has_upload:
            raise ValidationFailed(
                f"exactly one of `{where}.image_url`, `{where}.upload_id` is required",
                field=[f"{where}.image_url", f"{where}.upload_id"],
            )
        for key in _ENUM_INPUTS:  # values from the spec's enums: one copy for every job
            value = job_input.get(key)
            if type(value) is str:
                job_input[key] = sys.intern(value)
        name = job_input.get("image_url")
        if has_upload:
            name = self.uploads.get(account, job_input["upload_id"], f"{where}.upload_id").filename
        return JobSpec(
            type=sys.intern(job_type),
            input=job_input,
            metadata=dict(metadata or {}),
            listing_id=listing_id,
            price=self.catalog.price(job_type, tool),
            fail_code=fail_code_of(name),
        )

    def _check_funds(self, account: Account, total: int, field: str = "type") -> None:
        """402 naming the field that sets the cost: a job's ``type`` (and tool), a batch's
        or workflow's ``photos``, a regeneration's job ``id``."""
        if account.credits is not None and total > account.credits:
            raise InsufficientCredits(
                f"insufficient credits: this costs {total}, the balance is {account.credits}",
                field=field,
            )

    # creation ---------------------------------------------------------------------------
    def _new_job(
        self,
        account: Account,
        spec: JobSpec,
        base_url: str,
        *,
        batch_id: str | None = None,
        idempotency_key: str | None = None,
        webhook_endpoint_id: str | None = None,
    ) -> Job:
        now = self.clock.now()
        job_id = self.ids.new("job", account.key)
        price = spec.price if account.livemode else 0
        task = Task(
            job_id,
            created_at=now,
            duration=self.job_seconds,
            outcome=FAILED if spec.fail_code else COMPLETED,
        )
        self.scheduler(account).add(task)
        job = Job(
            id=job_id,
            type=spec.type,
            input=spec.input,
            metadata=spec.metadata,
            listing_id=spec.listing_id,
            batch_id=batch_id,
            idempotency_key=idempotency_key,
            webhook_endpoint_id=webhook_endpoint_id,
            regenerated_from=spec.regenerated_from,
            variation=spec.variation,
            livemode=account.livemode,
            credits_charged=price,
            task=task,
            base_url=base_url,
            fail_code=spec.fail_code,
            seq=task.seq,
        )
        account.charge(price)
        account.jobs[job_id] = job
        return job

    def create_job(
        self, account: Account, body: JsonObject, base_url: str
    ) -> Job:
        metadata = body.get("metadata") or {}
        listing_id = metadata.get("listing_id")
        spec = self.job_spec(
            account, body["type"], dict(body["input"]), metadata,
            str(listing_id) if listing_id is not None else None,
        )
        check_storage(account, 0, "type")
        self._check_funds(account, spec.price if account.livemode else 0, "type")
        return self._new_job(
            account, spec, base_url,
            idempotency_key=body.get("idempotency_key"),
            webhook_endpoint_id=body.get("webhook_endpoint_id"),
        )

    def regenerate(self, account: Account, job_id: str, body: JsonObject, base_url: str) -> Job:
        original = self.job(account, job_id)
        if original.status != COMPLETED:
            raise JobNotCompleted(
                f"job {job_id} is {original.status}; only completed jobs can be regenerated",
                field="id",
            )
        root = original.regenerated_from or original.id
        family = [j.variation for j in account.jobs.values()
                  if j.id == root or j.regenerated_from == root]
        spec = self.job_spec(account, original.type, dict(original.input), original.metadata,
                             original.listing_id)
        spec.variation = max(family) + 1
        spec.regenerated_from = root
        check_storage(account, 0, "id")
        self._check_funds(account, spec.price if account.livemode else 0, "id")
        return self._new_job(
            account, spec, base_url,
            idempotency_key=body.get("idempotency_key"),
            webhook_endpoint_id=body.get("webhook_endpoint_id") or original.webhook_endpoint_id,
        )

    def create_batch(
        self,
        account: Account,
        job_type: str,
        shared: JsonObject,
        photos: list[JsonObject],
        *,
        listing_id: str | None,
        metadata: JsonObject | None,
        webhook_endpoint_id: str | None,
        base_url: str,
        where: str = "photos",
    ) -> Batch:
        specs = []
        for i, photo in enumerate(photos):
            job_input = {k: v for k, v in shared.items()}
            photo_meta = dict(metadata or {})
            for k, v in photo.items():
                if k == "label":
                    continue
                if k == "metadata":
                    photo_meta.update(v)
                elif k == "options":
                    job_input["options"] = {**job_input.get("options", {}), **v}
                else:
                    job_input[k] = v
            if listing_id is not None:
                photo_meta.setdefault("listing_id", listing_id)
            if photo.get("label"):
                photo_meta.setdefault("label", photo["label"])
            spec = self.job_spec(account, job_type, job_input, photo_meta, listing_id,
                                 where=f"{where}[{i}]")
            spec.label = photo.get("label")
            specs.append(spec)
        check_storage(account, 0, where)
        total = sum(s.price for s in specs) if account.livemode else 0
        self._check_funds(account, total, where)  # all-or-nothing: checked before anything exists
        batch_id = self.ids.new("bat", account.key)
        batch = Batch(
            id=batch_id, type=job_type, listing_id=listing_id, jobs=[],
            credits_charged=total, webhook_endpoint_id=webhook_endpoint_id,
            metadata=dict(metadata or {}), created_at=self.clock.now(),
        )
        for spec in specs:
            # Like Stripe: the batch's endpoint hears each of its jobs too (job.completed,
            # job.failed), then batch.completed.
            job = self._new_job(account, spec, base_url, batch_id=batch_id,
                                webhook_endpoint_id=webhook_endpoint_id)
            batch.jobs.append((job.id, spec.label))
        account.batches[batch_id] = batch
        return batch

    def create_workflow(self, account: Account, body: JsonObject, base_url: str) -> Workflow:
        template = body["template"]
        job_type, tool, _ = WORKFLOW_TEMPLATES[template]
        defaults = dict(body.get("defaults") or {})
        if job_type not in ("virtual-stage", "interior-design"):
            # styles and room types only steer staging and design jobs
            defaults.pop("style", None)
        shared: JsonObject = {**defaults}
        if tool:
            shared["listing_tool"] = tool
        photos = []
        for photo in body["photos"]:
            p = dict(photo)
            if job_type not in ("virtual-stage", "interior-design"):
                p.pop("style", None)
            photos.append(p)
        batch = self.create_batch(
            account, job_type, shared, photos,
            listing_id=body.get("listing_id"), metadata=body.get("metadata"),
            webhook_endpoint_id=body.get("webhook_endpoint_id"), base_url=base_url,
        )
        wf = Workflow(
            id=self.ids.new("wf", account.key), template=template, job_type=job_type,
            listing_tool=tool, listing_id=body.get("listing_id"), batch_id=batch.id,
            created_at=self.clock.now(),
        )
        account.workflows[wf.id] = wf
        return wf

    # reads ------------------------------------------------------------------------------
    def job(self, account: Account, job_id: str) -> Job:
        job = account.jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id!r} in this account", field="id")
        return job

    def list_jobs(
        self, account: Account, *, listing_id: str | None, status: str | None, limit: int,
        cursor: str | None,
    ) -> tuple[list[Job], str | None]:
        filters = (listing_id, status)
        after = decode_cursor(self.cursor_secret, account.key, filters, cursor) if cursor else 0
        out: list[Job] = []
        more = False
        if account.scheduler is None:
            return out, None
        # The scheduler's tasks are in job order (seq): start right after the cursor instead
        # of scanning from the first job (paging through n jobs stays O(n), not O(n²)).
        tasks = account.scheduler.tasks
        start = bisect.bisect_right(tasks, after, key=lambda t: t.seq)
        for task in itertools.islice(tasks, start, None):
            job = account.jobs.get(task.id)
            if job is None:
                continue
            if listing_id is not None and job.listing_id != listing_id:
                continue
            if status is not None and job.status != status:
                continue
            if len(out) == limit:
                more = True
                break
            out.append(job)
        if not (more and out):
            return out, None
        return out, encode_cursor(self.cursor_secret, account.key, filters, out[-1].seq)

    # time -------------------------------------------------------------------------------
    def advance(self, account: Account, now: float) -> list[Event]:
        """Move the account's jobs to ``now``; render outputs of completed jobs; return the
        events that happened, in order (an ended job no longer changes, nor does a completed
        batch: serialised when published, they read as they were)."""
        if account.scheduler is None:
            return []
        transitions = self.scheduler(account).advance(now)
        if not transitions:  # nothing due: what most requests find
            return []
        events: list[Event] = []
        touched: set[str] = set()
        for tr in transitions:
            job = account.jobs.get(tr.task.id)
            if job is None:
                continue
            if tr.status == PROCESSING:
                if job.task.outcome == COMPLETED:
                    job.rendering = self.outputs.start(account, job)
                continue
            if tr.status == COMPLETED:
                self.outputs.store(account, job)
            events.append(Event(account.key, f"job.{tr.status}", job, job.webhook_endpoint_id))
            if job.batch_id:
                touched.add(job.batch_id)
        for batch_id in sorted(touched):
            batch = account.batches[batch_id]
            if batch.notified:
                continue
            jobs = [account.jobs[j] for j, _ in batch.jobs]
            if all(j.status in TERMINAL for j in jobs):
                batch.completed_at = max(j.task.finished_at or 0 for j in jobs)
                batch.notified = True
                events.append(Event(account.key, "batch.completed", batch,
                                    batch.webhook_endpoint_id))
        return events
