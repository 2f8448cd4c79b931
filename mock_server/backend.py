"""What each API package gives the app. ``core/`` knows nothing of the APIs; the app
registers one ``Backend`` per API (StagePro, Stager AI) and talks to it through this."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from .jsontypes import JsonObject

if TYPE_CHECKING:
    from .context import AppContext
    from .spec.binding import ApiBinding


#: An API's own account type.
AccountT = TypeVar("AccountT")
#: The account type a backend's ``due_work`` takes (a parameter: contravariant).
AccountT_contra = TypeVar("AccountT_contra", contravariant=True)
#: What a backend's image work (a ``concurrent.futures.Future``) computes.
WorkT = TypeVar("WorkT")


@dataclass(frozen=True)
class Principal(Generic[AccountT]):
    """Who is calling, once authenticated: the key (or console token) used and its account
    (``account`` is the API's own account type)."""

    api_key: str
    account: AccountT


class Component(Protocol):
    """A part of the app's state the context drives, declared in ``create_app``: ticked as
    the clock moves, reset with the state (all of it, or one key's), closed at shutdown.
    The API backends are components; so is StagePro's webhook hub."""

    name: str

    def tick(self, now: float) -> None:
        """Make everything due by ``now`` happen (job progress, expiries, retries)."""
        ...

    def reset(self, api_key: str | None) -> bool:
        """Forget all state, or one account's. Returns whether anything was known."""
        ...

    async def close(self) -> None:
        """Let go of what the component holds open (HTTP clients)."""
        ...


class Backend(Component, Protocol[AccountT_contra, WorkT]):
    """An API: ``AccountT_contra`` is its account type, ``WorkT`` what its image work
    computes."""

    name: str
    base_path: str  # where the API is mounted: its entry in ``mounts.BASE_PATHS``
    spec_file: str  # file name in openapi/

    def binding(self, ctx: AppContext) -> ApiBinding[WorkT]: ...

    def owns_key(self, api_key: str) -> bool: ...

    def create_account(self, data: JsonObject) -> JsonObject: ...

    def update_account(self, api_key: str, data: JsonObject) -> JsonObject | None: ...

    def describe_account(self, api_key: str) -> JsonObject | None: ...

    def due_work(
        self, now: float, account: AccountT_contra | None = None
    ) -> Sequence[Future[WorkT]]:
        """The image work (``concurrent.futures.Future``) still running whose results are
        needed by ``now``: for one account, or all. The app awaits it before moving time."""
        ...

    def next_event(self) -> float:
        """When, at the earliest, something next happens that starts image work (a queued job
        is picked up); ``inf`` if nothing will. Exact right after a ``tick``."""
        ...
