"""StagePro state: accounts, keys, and what an account owns (uploads, jobs, batches,
workflows) with their JSON forms. Pure: no Starlette, no I/O; time and ids come in as
arguments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypedDict

import orjson

from ..backend import Principal
from ..core.clock import iso
from ..core.lifecycle import FAILED, Scheduler, Task
from ..core.precompute import Pending
from ..errors import Unauthorized
from ..jsontypes import JsonObject
from .exceptions import InvalidApiKey, InvalidSession, RevokedApiKey

KEY_RE = re.compile(r"^sk_(test|live)_[A-Za-z0-9_\-]{1,128}$")


@dataclass
class Plan:
    name: str
    max_parallel_jobs: int
    storage_limit_bytes: int


class Objects(TypedDict):
    """What an account owns, by kind (``count_objects`` counts them in this order)."""

    jobs: dict[str, Job]
    uploads: dict[str, Upload]
    batches: dict[str, Batch]
    workflows: dict[str, Workflow]


def _objects() -> Objects:
    return {"jobs": {}, "uploads": {}, "batches": {}, "workflows": {}}


@dataclass
class Account:
    """One StagePro world. Test keys each get their own; live keys come from fixtures, the
    control plane or ``POST /keys`` (which adds a key to the caller's account)."""

    key: str  # the key the account was created for (its namespace)
    livemode: bool
    plan: Plan
    credits: int | None  # None: test mode, never spends
    credits_spent: int = 0
    storage_external_bytes: int = 0  # storage used outside the mock (fixtures, control plane)
    objects: Objects = field(default_factory=_objects)
    upload_bytes: int = 0
    output_bytes: int = 0
    outputs: int = 0
    #: idempotency key → (request fingerprint, original response body)
    idempotency: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    scheduler: Scheduler | None = None

    @property
    def storage_used_bytes(self) -> int:
        return self.storage_external_bytes + self.upload_bytes + self.output_bytes

    @property
    def jobs(self) -> dict[str, Job]:
        return self.objects["jobs"]

    @property
    def uploads(self) -> dict[str, Upload]:
        return self.objects["uploads"]

    @property
    def batches(self) -> dict[str, Batch]:
        return self.objects["batches"]

    @property
    def workflows(self) -> dict[str, Workflow]:
        return self.objects["workflows"]

    def charge(self, credits: int) -> None:
        if self.credits is None:
            return
        self.credits -= credits
        self.credits_spent += credits

    def count_objects(self) -> dict[str, int]:
        o = self.objects
        return {"jobs": len(o["jobs"]), "uploads": len(o["uploads"]),
                "batches": len(o["batches"]), "workflows": len(o["workflows"])}


@dataclass
class KeyRecord:
    secret: str
    account: Account
    revoked: bool = False
    id: str = ""
    name: str = ""
    created_at: float = 0.0
    revoked_at: float | None = None
    #: who calls with this key, built once (immutable; a reset makes new records)
    principal: Principal[Account] | None = None

    @property
    def mode(self) -> str:
        return "live" if self.secret.startswith("sk_live_") else "test"


class StageProState:
    """Every account, key and console session of StagePro in this mock."""

    def __init__(self, fixtures: JsonObject) -> None:
        self.fixtures = fixtures
        self.plans = {
            name: Plan(name, p["max_parallel_jobs"], p["storage_limit_bytes"])
            for name, p in fixtures.get("plans", {}).items()
        }
        self.keys: dict[str, KeyRecord] = {}
        self.console_sessions: dict[str, str] = {}
        self.load_fixtures()

    # accounts ---------------------------------------------------------------------------
    def _plan(self, name: str | None, livemode: bool) -> Plan:
        default = self.fixtures.get("default_live_plan" if livemode else "default_test_plan")
        plan = self.plans.get(name or default) or self.plans.get(default)
        if plan is None:
            plan = Plan(name or "test", 4, 1 << 30)
        return Plan(plan.name, plan.max_parallel_jobs, plan.storage_limit_bytes)

    def new_account(self, key: str, spec: JsonObject) -> KeyRecord:
        livemode = key.startswith("sk_live_")
        plan = self._plan(spec.get("plan"), livemode)
        if "max_parallel_jobs" in spec:
            plan.max_parallel_jobs = spec["max_parallel_jobs"]
        if "storage_limit_bytes" in spec:
            plan.storage_limit_bytes = spec["storage_limit_bytes"]
        account = Account(
            key=key,
            livemode=livemode,
            plan=plan,
            credits=spec.get("credits", 0) if livemode else None,
            storage_external_bytes=spec.get("storage_used_bytes", 0),
        )
        record = KeyRecord(secret=key, account=account, revoked=bool(spec.get("revoked")))
        self.keys[key] = record
        return record

    def load_fixtures(self, only: str | None = None) -> None:
        for key, spec in (self.fixtures.get("keys") or {}).items():
            if only is None or only == key:
                self.new_account(key, spec or {})

    def reset(self, api_key: str | None) -> bool:
        if api_key is None:
            self.keys.clear()
            self.console_sessions.clear()
            self.load_fixtures()
            return True
        record = self.keys.get(api_key)
        if record is None:
            return False
        account = record.account
        for secret in [s for s, r in self.keys.items() if r.account is account]:
            del self.keys[secret]
        self.console_sessions = {
            t: k for t, k in self.console_sessions.items() if k in self.keys
        }
        self.load_fixtures(only=api_key)
        return True

    def update(self, api_key: str, data: JsonObject) -> KeyRecord | None:
        record = self.keys.get(api_key)
        if record is None:
            return None
        account = record.account
        if "credits" in data and account.livemode:
            account.credits = data["credits"]
        if "plan" in data:
            plan = self._plan(data["plan"], account.livemode)
            account.plan = plan
        if "max_parallel_jobs" in data:
            account.plan.max_parallel_jobs = data["max_parallel_jobs"]
        if "storage_limit_bytes" in data:
            account.plan.storage_limit_bytes = data["storage_limit_bytes"]
        if "storage_used_bytes" in data:
            account.storage_external_bytes = data["storage_used_bytes"]
        if "revoked" in data:
            record.revoked = data["revoked"]
        return record

    def describe(self, record: KeyRecord) -> JsonObject:
        a = record.account
        return {
            "api": "stagepro",
            "api_key": record.secret,
            "livemode": a.livemode,
            "revoked": record.revoked,
            "plan": a.plan.name,
            "credits": a.credits,
            "credits_spent": a.credits_spent,
            "max_parallel_jobs": a.plan.max_parallel_jobs,
            "storage_limit_bytes": a.plan.storage_limit_bytes,
            "storage_used_bytes": a.storage_used_bytes,
            "objects": a.count_objects(),
        }

    # authentication ---------------------------------------------------------------------
    def key_record(self, key: str) -> KeyRecord:
        """The key's record, creating test-mode accounts on first use; 401 otherwise."""
        record = self.keys.get(key)
        if record is None:
            if not KEY_RE.match(key):
                raise InvalidApiKey(
                    "malformed API key: expected sk_test_<suffix> or sk_live_<suffix>",
                    sent_key=key,
                )
            if key.startswith("sk_test_"):
                return self.new_account(key, {})
            raise InvalidApiKey("unknown API key", sent_key=key)
        if record.revoked:
            raise RevokedApiKey("this API key has been revoked", sent_key=key)
        return record

    def open_console_session(self, key: str, token: str) -> str | None:
        try:
            self.key_record(key)
        except Unauthorized:
            return None
        self.console_sessions[token] = key
        return token

    def console_record(self, token: str) -> KeyRecord:
        key = self.console_sessions.get(token)
        if key is None:
            raise InvalidSession(
                "unknown or expired console session", field="stagepro_session"
            )
        record = self.keys.get(key)
        if record is None or record.revoked:
            raise InvalidSession(
                "the console session's key has been revoked", field="stagepro_session"
            )
        return record


#: Where the mock serves stored files (uploads, outputs): ``<origin>/files/<key>``.
FILES_PREFIX = "/files/"


@dataclass
class Upload:
    id: str
    filename: str
    content_type: str
    size: int
    width: int
    height: int
    format: str
    blob_key: str
    url: str
    created_at: float
    expires_at: float

    def as_json(self) -> JsonObject:
        return {
            "id": self.id,
            # The reference: "Use returned upload_id in job input". `id` stays (same value).
            "upload_id": self.id,
            "object": "upload",
            "filename": self.filename,
            "content_type": self.content_type,
            "size_bytes": self.size,
            "width": self.width,
            "height": self.height,
            "format": self.format,
            "url": self.url,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
        }


class OutputImage(TypedDict):
    """One image of a finished job's ``output.images``."""

    url: str
    width: int
    height: int
    content_type: str


@dataclass(slots=True)  # one per job, hundreds of thousands in a long run
class Job:
    id: str
    type: str
    input: JsonObject
    metadata: JsonObject
    listing_id: str | None
    batch_id: str | None
    idempotency_key: str | None
    webhook_endpoint_id: str | None
    regenerated_from: str | None
    variation: int
    livemode: bool
    credits_charged: int
    task: Task
    base_url: str
    fail_code: str | None = None
    output: list[OutputImage] | None = None
    seq: int = 0
    _bytes: tuple[str, bytes] | None = None
    #: The output render, started in a worker process when the job starts processing.
    rendering: Pending[tuple[bytes, int, int]] | None = None

    @property
    def status(self) -> str:
        return self.task.status

    def json_bytes(self) -> bytes:
        """The serialised job, kept until its status changes (the only thing that moves)."""
        if self._bytes is None or self._bytes[0] != self.task.status:
            self._bytes = (self.task.status, orjson.dumps(self.as_json()))
        return self._bytes[1]

    def as_json(self) -> JsonObject:
        t = self.task
        error = None
        if t.status == FAILED:
            code = self.fail_code or "processing_failed"
            error = {"code": code, "message": f"the job failed: {code.replace('_', ' ')}"}
        return {
            "id": self.id,
            "object": "job",
            "type": self.type,
            "status": t.status,
            "input": self.input,
            "metadata": self.metadata,
            "listing_id": self.listing_id,
            "batch_id": self.batch_id,
            "idempotency_key": self.idempotency_key,
            "webhook_endpoint_id": self.webhook_endpoint_id,
            "regenerated_from": self.regenerated_from,
            "variation": self.variation,
            "livemode": self.livemode,
            "credits_charged": self.credits_charged,
            "output": {"images": self.output} if self.output else None,
            "error": error,
            "created_at": iso(t.created_at),
            "started_at": iso(t.started_at) if t.started_at is not None else None,
            "completed_at": iso(t.finished_at) if t.finished_at is not None else None,
        }


@dataclass
class Batch:
    id: str
    type: str
    listing_id: str | None
    jobs: list[tuple[str, str | None]]  # (job id, label)
    credits_charged: int
    webhook_endpoint_id: str | None
    metadata: JsonObject
    created_at: float
    completed_at: float | None = None
    notified: bool = False


@dataclass
class Workflow:
    id: str
    template: str
    job_type: str
    listing_tool: str | None
    listing_id: str | None
    batch_id: str
    created_at: float


@dataclass
class Event:
    """Something subscribers (webhooks) hear about, in order: a job that ended
    (``job.completed``, ``job.failed``) or a batch that completed (``batch.completed``). Its
    JSON is made by whoever publishes it (``StageProBackend.publish``)."""

    api_key: str
    type: str
    subject: Job | Batch
    webhook_endpoint_id: str | None
