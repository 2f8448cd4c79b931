"""Stager AI as the app serves it: state, authentication and the handler table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml
from starlette.requests import Request

from ..errors import stagerai_shape
from ..spec.loader import Operation, load_spec
from ..spec.router import ApiBinding
from . import handlers
from .models import Account, StagerState, unauthorized

if TYPE_CHECKING:
    from ..context import AppContext


@dataclass(frozen=True)
class Principal:
    api_key: str
    account: Account


class StagerAIBackend:
    name = "stagerai"
    base_path = ""
    spec_file = "stagerai.yaml"
    catch_all_params = frozenset({"object"})

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        accounts = yaml.safe_load((ctx.settings.fixtures_dir / "accounts.yaml").read_text())
        self.state = StagerState(accounts.get("stagerai", {}))
        self.spec = load_spec(
            self.name,
            ctx.settings.openapi_dir / self.spec_file,
            self.base_path,
            self.catch_all_params,
        )

    def binding(self, ctx: AppContext) -> ApiBinding:
        return ApiBinding(
            spec=self.spec,
            handlers=handlers.HANDLERS,
            authenticate=self.authenticate,
            error_shape=stagerai_shape,
        )

    def owns_key(self, api_key: str) -> bool:
        return api_key.startswith("stager_")

    def reset(self, api_key: str | None) -> bool:
        return self.state.reset(api_key)

    def create_account(self, data: dict[str, Any]) -> dict[str, Any]:
        key = data["api_key"]
        self.state.reset(key)
        return self.state.describe(self.state.new_account(key, data))

    def update_account(self, api_key: str, data: dict[str, Any]) -> dict[str, Any] | None:
        account = self.state.accounts.get(api_key)
        if account is None:
            return None
        if "revoked" in data:
            account.revoked = data["revoked"]
        return self.state.describe(account)

    def describe_account(self, api_key: str) -> dict[str, Any] | None:
        account = self.state.accounts.get(api_key)
        return None if account is None else self.state.describe(account)

    def tick(self, now: float) -> None:
        pass

    def authenticate(self, op: Operation, request: Request) -> Principal | None:
        if "StagerApiKey" not in op.security_schemes:
            return None
        key = request.headers.get("stager-api-key", "").strip()
        if not key:
            raise unauthorized("missing stager-api-key header", missing=True)
        return Principal(key, self.state.account_for(key))
