"""Stager AI as the app serves it: state, authentication and the handler table."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING

from starlette.requests import Request

from ..backend import Principal
from ..core.blobs import Blob
from ..errors import account_exists, stagerai_shape, unauthorized
from ..jsontypes import JsonObject
from ..limits import UPLOAD_MAX_BYTES
from ..mounts import BASE_PATHS
from ..spec.binding import ApiBinding
from ..spec.loader import Operation, load_spec
from . import handlers, operation  # noqa: F401  (handlers registers its operations)
from .models import API_KEY_HEADER, COMPLETED, FAILED, PROCESSING, Account, Group, StagerState
from .signing import Signer

if TYPE_CHECKING:
    from ..context import AppContext


class StagerAIBackend:
    name = "stagerai"
    base_path = BASE_PATHS["stagerai"]
    spec_file = "stagerai.yaml"
    #: path parameters that may hold slashes (GCS object names): only Stager AI has any
    catch_all_params = frozenset({"object"})

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.state = StagerState(ctx.fixture_accounts.get("stagerai", {}))
        self.spec = load_spec(
            self.name,
            ctx.settings.openapi_dir / self.spec_file,
            self.base_path,
            self.catch_all_params,
        )
        self.max_upload_bytes = UPLOAD_MAX_BYTES
        self.signer = Signer(hashlib.sha256(f"stagemock-gcs-{ctx.settings.seed}".encode()).digest())
        #: (bucket, object) → (account, group id, bracket id) of every issued upload URL
        self.objects: dict[tuple[str, str], tuple[Account, str, str]] = {}

    def binding(self, ctx: AppContext) -> ApiBinding:
        return ApiBinding(
            spec=self.spec,
            handlers=operation.handlers,
            authenticate=self.authenticate,
            error_shape=stagerai_shape,
            max_upload_bytes=self.max_upload_bytes,
            error_renderers={
                "putSignedUpload": handlers.gcs_error,
                "getStorageObject": handlers.gcs_error,
            },
            due_work=lambda principal: self.due_work(ctx.clock.now(), principal.account),
            # The reference lists stager-api-key as the only required header and has no curl
            # commands: a client may well send JSON unlabelled or as curl -d labels it
            # (application/x-www-form-urlencoded). StagePro's curl examples always send it.
            json_sent_as_form=True,
            fault_apis={"putSignedUpload": "gcs", "getStorageObject": "gcs"},
            caller_key=self.caller_key,
            created_ids=("id", "groupId", "projectId", "imageId", "uploadId"),
        )

    def caller_key(self, op: Operation | None, request: Request) -> str | None:
        """The ``stager-api-key`` sent; for signed storage, the key of the account the
        object was issued to (a URL carries no key)."""
        if op is not None and op.operation_id in ("putSignedUpload", "getStorageObject"):
            path = request.path_params
            owner = self.objects.get((path.get("bucket", ""), path.get("object", "")))
            return owner[0].key if owner is not None else None
        return request.headers.get(API_KEY_HEADER, "").strip() or None

    def owns_key(self, api_key: str) -> bool:
        return api_key.startswith("stager_")

    def reset(self, api_key: str | None) -> bool:
        self.objects = {
            k: v for k, v in self.objects.items() if api_key is not None and v[0].key != api_key
        }
        return self.state.reset(api_key)

    def create_account(self, data: JsonObject) -> JsonObject:
        key = data["api_key"]
        if key in self.state.accounts:
            raise account_exists(key)
        return self.state.describe(self.state.new_account(key, data))

    def update_account(self, api_key: str, data: JsonObject) -> JsonObject | None:
        account = self.state.accounts.get(api_key)
        if account is None:
            return None
        if "revoked" in data:
            account.revoked = data["revoked"]
        return self.state.describe(account)

    def describe_account(self, api_key: str) -> JsonObject | None:
        account = self.state.accounts.get(api_key)
        return None if account is None else self.state.describe(account)

    async def close(self) -> None:
        """Nothing held open (the webhook hub closes its own client)."""

    def tick(self, now: float) -> None:
        for account in list(self.state.accounts.values()):
            self.advance(account, now)

    def next_event(self) -> float:
        return float("inf")  # merges start at enhance time: no step needed to start one

    def due_work(
        self, now: float, account: Account | None = None
    ) -> list[Future[tuple[bytes, int, int]]]:
        accounts = [account] if account is not None else list(self.state.accounts.values())
        futures = (
            group.merging.unfinished
            for acc in accounts
            for group in _due_groups(acc, now)
            if group.merging is not None
        )
        return [f for f in futures if f is not None]

    def sync(self, account: Account) -> None:
        self.advance(account, self.ctx.clock.now())

    def _bracket_data(self, group: Group) -> list[Blob]:
        """The uploaded brackets' blobs, in bracket order."""
        out = []
        for bracket in group.brackets:
            blob = self.ctx.blobs.get(f"gcs/{bracket.bucket}/{bracket.object}")
            if bracket.uploaded and blob is not None:
                out.append(blob)
        return out

    def _merge_work(
        self, group: Group, blobs: list[Blob]
    ) -> Callable[[], tuple[bytes, int, int]]:
        from ..images.hdr import merge_brackets

        return partial(
            merge_brackets,
            [b.data for b in blobs],
            lens_correction=group.lens_correction,
            perspective_correction=group.perspective_correction,
            photographer_removal=group.photographer_removal,
        )

    def start_merge(self, group: Group) -> None:
        """Start the group's merge in a worker process as soon as it is enhanced; ``advance``
        collects it when due (or merges right there if the brackets changed in between)."""
        blobs = self._bracket_data(group)
        group.merge_inputs = tuple(b.etag for b in blobs)
        group.merging = self.ctx.precompute.start(self._merge_work(group, blobs))

    def advance(self, account: Account, now: float) -> None:
        """Finish the HDR merges that are due: a real exposure fusion of the brackets."""
        from ..core.precompute import Pending
        from ..images.decode import ImageDecodeError

        for group in _due_groups(account, now):
            blobs = self._bracket_data(group)
            pending = group.merging
            if pending is None or group.merge_inputs != tuple(b.etag for b in blobs):
                if pending is not None:
                    pending.cancel()
                pending = Pending(self._merge_work(group, blobs), None, self.ctx.precompute)
            group.merging = None
            try:
                merged, _, _ = pending.result()
            except (ImageDecodeError, ValueError) as exc:
                group.status = FAILED
                group.error = {
                    "code": "invalid_bracket",
                    "message": f"a bracket is not a readable image: {exc}",
                }
                continue
            key = f"gcs/stager-final-results/{group.id}.jpg"
            self.ctx.blobs.put(key, merged, "image/jpeg", owner=account.key)
            group.status = COMPLETED
            group.image_url = f"{group.base_url}/{key}"

    def authenticate(self, op: Operation, request: Request) -> Principal | None:
        if op.operation_id == "putSignedUpload":
            # GCS authenticates first: a bad signature answers 403 whatever else is wrong.
            handlers.verify_signed_url(self, request, self.ctx.clock.now())
            return None
        if "StagerApiKey" not in op.security_schemes:
            return None
        key = request.headers.get("stager-api-key", "").strip()
        if not key:
            raise unauthorized("missing stager-api-key header", field=API_KEY_HEADER, missing=True)
        account = self.state.account_for(key)  # a refusal carries the key as sent
        return Principal(key, account)


def _due_groups(account: Account, now: float) -> list[Group]:
    """The account's HDR groups whose merge is due by ``now``."""
    return [
        g for g in account.groups.values()
        if g.status == PROCESSING and g.done_at is not None and g.done_at <= now
    ]
