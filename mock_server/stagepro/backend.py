"""StagePro as the app serves it: state, authentication and the handler table."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import Future
from typing import TYPE_CHECKING

import orjson
import yaml
from starlette.requests import Request

from ..backend import Principal
from ..errors import account_exists, stagepro_shape, unauthorized
from ..http import RawJSON, header
from ..jsontypes import Json, JsonObject
from ..limits import stagepro_capabilities
from ..mounts import BASE_PATHS
from ..outbound import AddressPolicy, RemoteFetcher
from ..spec.binding import ApiBinding
from ..spec.guesses import SUFFIX as GUESS_SUFFIX
from ..spec.loader import Operation, load_spec
from . import agent, console, handlers, operation  # noqa: F401  (the modules register handlers)
from .agent_models import Session
from .catalog import Catalog
from .jobs import JobEngine
from .magic import app_only_message
from .models import Account, Event, Job, StageProState
from .outputs import Render
from .serialise import batch_json

if TYPE_CHECKING:
    from ..context import AppContext
    from ..settings import Settings
    from ..webhooks.dispatcher import WebhookHub

LIMITS = stagepro_capabilities()


#: The words for a listing-tool job without its tool (the spec's choice on ``type`` refuses it).
_TOOL_REQUIRED = "is required when type is listing-tool (a slug from GET /capabilities)"


def explain_violation(violation: JsonObject, body: Json) -> JsonObject:
    """Clearer words for app-only listing tools, which the spec's enum leaves out, and for the
    spec's ``listing_tool`` rule by job ``type`` (a choice on ``type``: the schema refuses,
    these words say why)."""
    field = violation.get("field")
    said = str(violation.get("message"))
    if (isinstance(field, list) and any(str(f).endswith(".listing_tool") for f in field)
            and "is required" in said):
        # a listing-tool batch with no tool: the shared input's, or one on each photo
        named = [f if str(f).endswith("listing_tool") else f"{f}.listing_tool" for f in field]
        return _reworded({**violation, "field": named},
                         " or ".join(f"`{f}`" for f in named) + " " + _TOOL_REQUIRED)
    if not isinstance(field, str) or not field.endswith("listing_tool"):
        return violation
    if said.startswith("is required"):  # only the `type: listing-tool` branch asks it
        return _reworded(violation, _TOOL_REQUIRED)
    if said.startswith("is not allowed"):  # the branch of every other type
        return _reworded(violation, "is only allowed when type is listing-tool")
    if isinstance(body, dict):
        node: Json = body
        for part in field.replace("]", "").replace("[", ".").split("."):
            if isinstance(node, dict):
                node = node.get(part)
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                node = None
        message = app_only_message(node)
        if message:
            return {**violation, "message": message}
    return violation


def _reworded(violation: JsonObject, words: str) -> JsonObject:
    """The violation in other words, keeping a guess's suffix."""
    suffix = " " + GUESS_SUFFIX if str(violation.get("message")).endswith(GUESS_SUFFIX) else ""
    return {**violation, "message": words + suffix}


class StageProBackend:
    name = "stagepro"
    base_path = BASE_PATHS["stagepro"]
    spec_file = "stagepro.yaml"

    def __init__(self, ctx: AppContext, webhooks: WebhookHub) -> None:
        self.ctx = ctx
        fixtures_dir = ctx.settings.fixtures_dir
        self.prices = yaml.safe_load((fixtures_dir / "prices.yaml").read_text())
        self.state = StageProState(ctx.fixture_accounts.get("stagepro", {}))
        self.spec = load_spec(
            self.name, ctx.settings.openapi_dir / self.spec_file, self.base_path
        )
        self.catalog = Catalog.from_spec(self.spec.document, self.prices)
        #: Capabilities never change while the server runs: serialised once.
        self.capabilities_bytes = orjson.dumps(self.catalog.as_capabilities(LIMITS))
        #: ... and answered as one response object, reused (a response is only read when sent)
        self.capabilities_response = RawJSON(self.capabilities_bytes)
        self.limits = LIMITS
        #: The webhook hub (a component of its own, declared in ``create_app``): hears every
        #: domain event (job.completed, job.failed, batch.completed) and validates the
        #: endpoints jobs name.
        self.webhooks = webhooks
        #: AI design agent sessions by id (each remembers its account)
        self.agent_sessions: dict[str, Session] = {}
        self.engine = JobEngine(
            clock=ctx.clock,
            ids=ctx.ids,
            blobs=ctx.blobs,
            catalog=self.catalog,
            job_seconds=ctx.settings.job_seconds,
            fetch=(RemoteFetcher(AddressPolicy.parse(ctx.settings.outbound_allow),
                                 limit=LIMITS["upload_max_bytes"])
                   if ctx.settings.fetch_remote else None),
            precompute=ctx.precompute,
            cursor_secret=_cursor_secret(ctx.settings),
        )

    # Backend protocol -------------------------------------------------------------------
    def binding(self, ctx: AppContext) -> ApiBinding:
        return ApiBinding(
            spec=self.spec,
            handlers=operation.handlers,
            authenticate=self.authenticate,
            error_shape=stagepro_shape,
            max_upload_bytes=self.limits["upload_max_bytes"],
            explain=explain_violation,
            due_work=lambda principal: self.due_work(ctx.clock.now(), principal.account),
            caller_key=self.caller_key,
            created_ids=("id", "batch_id", "upload_id", "job_id", "session_id"),
        )

    def owns_key(self, api_key: str) -> bool:
        return api_key.startswith(("sk_test_", "sk_live_"))

    def reset(self, api_key: str | None) -> bool:
        self.agent_sessions = {
            k: v for k, v in self.agent_sessions.items()
            if api_key is not None and v.account_key != api_key
        }
        return self.state.reset(api_key)

    def create_account(self, data: JsonObject) -> JsonObject:
        key = data["api_key"]
        if key in self.state.keys:
            raise account_exists(key)
        record = self.state.new_account(key, data)
        return self.state.describe(record)

    def update_account(self, api_key: str, data: JsonObject) -> JsonObject | None:
        if api_key.startswith("sk_test_") and api_key not in self.state.keys:
            self.state.key_record(api_key)
        record = self.state.update(api_key, data)
        return None if record is None else self.state.describe(record)

    def describe_account(self, api_key: str) -> JsonObject | None:
        record = self.state.keys.get(api_key)
        return None if record is None else self.state.describe(record)

    def _scheduled_accounts(self) -> list[Account]:
        """Each account with jobs once (several keys can share an account)."""
        accounts = {id(r.account): r.account for r in list(self.state.keys.values())}
        return [a for a in accounts.values() if a.scheduler is not None]

    async def close(self) -> None:
        """Nothing held open (the webhook hub closes its own client)."""

    def tick(self, now: float) -> None:
        for account in self._scheduled_accounts():
            self.publish(account, self.engine.advance(account, now))

    def next_event(self) -> float:
        schedulers = (a.scheduler for a in self._scheduled_accounts())
        return min((s.next_event for s in schedulers if s is not None), default=float("inf"))

    def due_work(self, now: float, account: Account | None = None) -> list[Future[Render]]:
        if account is not None and (account.scheduler is None or not account.scheduler.running):
            return []  # every request asks: nothing processing, nothing to wait for
        accounts = self._scheduled_accounts() if account is None else [account]
        out = []
        for acc in accounts:
            if acc.scheduler is None:
                continue
            for task in acc.scheduler.finishing_by(now):
                job = acc.jobs.get(task.id)
                future = job.rendering.unfinished if job and job.rendering else None
                if future is not None:
                    out.append(future)
        return out

    def sync(self, account: Account) -> None:
        """Bring one account up to the clock before a request reads or writes it."""
        self.publish(account, self.engine.advance(account, self.ctx.clock.now()))

    def publish(self, account: Account, events: list[Event]) -> None:
        """The account's events to the webhook hub, each subject as the API serialises it."""
        for event in events:
            subject = event.subject
            obj = subject.as_json() if isinstance(subject, Job) else batch_json(account, subject)
            self.webhooks.publish(event.api_key, event.type, obj, event.webhook_endpoint_id)

    # used by other parts (agent render, webhooks) -----------------------------------------
    def check_endpoint(self, principal: Principal, endpoint_id: str | None) -> None:
        if endpoint_id is None:
            return
        self.webhooks.validate(principal, endpoint_id)

    def create_job(
        self, principal: Principal, body: JsonObject, base_url: str
    ) -> JsonObject:
        self.sync(principal.account)
        self.check_endpoint(principal, body.get("webhook_endpoint_id"))
        return self.engine.create_job(principal.account, body, base_url).as_json()

    def check_image_source(
        self, principal: Principal, image_url: str | None, upload_id: str | None
    ) -> None:
        if upload_id is not None:
            self.engine.uploads.get(principal.account, upload_id, "upload_id")

    def open_console_session(self, api_key: str) -> str | None:
        token = "cs_" + self.ctx.ids.token(api_key, "console-session", 40)
        return self.state.open_console_session(api_key, token)

    # authentication ---------------------------------------------------------------------
    def caller_key(self, op: Operation | None, request: Request) -> str | None:
        """The bearer key sent, or the key of the console session's account."""
        authorization = header(request, b"authorization")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            return token.strip() or None if scheme.lower() == "bearer" else None
        session = request.cookies.get("stagepro_session")
        return self.state.console_sessions.get(session) if session else None

    def authenticate(self, op: Operation, request: Request) -> Principal | None:
        schemes = op.security_schemes
        if "ConsoleSession" in schemes:
            token = request.cookies.get("stagepro_session")
            if not token:
                hint = (
                    " (API keys are not accepted here)"
                    if "authorization" in request.headers
                    else ""
                )
                raise unauthorized(
                    "this console endpoint needs a session cookie `stagepro_session`" + hint,
                    missing=True,
                    field="stagepro_session",
                )
            record = self.state.console_record(token)
            return Principal(record.secret, record.account)
        if "ApiKeyAuth" in schemes:
            authorization = header(request, b"authorization")
            if not authorization:
                if request.cookies.get("stagepro_session"):
                    raise unauthorized(
                        "this endpoint takes an API key (Authorization: Bearer sk_...), "
                        "not a console session",
                        missing=True,
                    )
                raise unauthorized(
                    "missing Authorization header: send `Authorization: Bearer sk_...`",
                    missing=True,
                )
            scheme, _, token = authorization.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise unauthorized(
                    "malformed Authorization header: expected `Bearer <key>`",
                    missing=True,
                )
            record = self.state.key_record(token)  # a refusal carries the key as sent
            if not record.created_at:
                record.created_at = self.ctx.clock.now()
            principal = record.principal
            if principal is None:
                principal = record.principal = Principal(token, record.account)
            return principal
        return None


def _cursor_secret(settings: Settings) -> bytes:
    """Per-server key of the cursors' HMAC: derived from the seed in ``--deterministic`` mode
    (the same requests give the same cursors), random otherwise (a restarted server refuses
    the old cursors, as a real API may)."""
    if settings.deterministic:
        return hashlib.blake2b(f"stagemock-cursor\x00{settings.seed}".encode()).digest()
    return os.urandom(32)
