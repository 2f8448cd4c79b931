"""Stager AI state: accounts and everything they own. Pure: no Starlette, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypedDict

from ..core.precompute import Pending
from ..errors import unauthorized
from ..jsontypes import JsonObject
from ..limits import HDR_MAX_BRACKETS

TEST_KEY_RE = re.compile(r"^stager_test_[A-Za-z0-9_\-]{1,128}$")
MAX_BRACKETS = HDR_MAX_BRACKETS
PENDING, PROCESSING, COMPLETED, FAILED = "pending", "processing", "completed", "failed"


@dataclass
class Project:
    id: str
    title: str


@dataclass
class Bracket:
    id: str
    filename: str
    bucket: str
    object: str
    uploaded: bool = False


@dataclass
class Group:
    id: str
    project_id: str
    lens_correction: bool
    perspective_correction: bool
    photographer_removal: bool
    brackets: list[Bracket] = field(default_factory=list)
    status: str = PENDING
    done_at: float | None = None
    image_url: str | None = None
    error: dict[str, str] | None = None
    base_url: str = ""
    #: The merge, started in a worker process at enhance time, and the bracket ETags it read.
    merging: Pending[tuple[bytes, int, int]] | None = None
    merge_inputs: tuple[str, ...] = ()

    def as_json(self) -> JsonObject:
        out: JsonObject = {"status": self.status}
        if self.status == COMPLETED:
            out["imageUrl"] = self.image_url
        if self.status == FAILED and self.error:
            out["error"] = self.error
        return out


@dataclass
class StoredImage:
    id: str
    blob_key: str
    width: int
    height: int
    url: str
    #: For an edit's result: the image it was made from and the operation (the dashboard).
    source_id: str | None = None
    operation: str | None = None

    def as_json(self) -> JsonObject:
        return {"id": self.id, "imageUrl": self.url, "width": self.width, "height": self.height}


class Objects(TypedDict):
    """What an account owns, by kind (``count_objects`` counts them in this order)."""

    projects: dict[str, Project]
    groups: dict[str, Group]
    images: dict[str, StoredImage]
    #: Edit results (stage, lawn, sky): the dashboard lists them under their source image.
    results: dict[str, StoredImage]


def _objects() -> Objects:
    return {"projects": {}, "groups": {}, "images": {}, "results": {}}


@dataclass
class Account:
    key: str
    livemode: bool
    revoked: bool = False
    objects: Objects = field(default_factory=_objects)

    @property
    def projects(self) -> dict[str, Project]:
        return self.objects["projects"]

    @property
    def groups(self) -> dict[str, Group]:
        return self.objects["groups"]

    @property
    def images(self) -> dict[str, StoredImage]:
        return self.objects["images"]

    def count_objects(self) -> dict[str, int]:
        o = self.objects
        return {"projects": len(o["projects"]), "groups": len(o["groups"]),
                "images": len(o["images"]), "results": len(o["results"])}


#: Stager AI's credential header.
API_KEY_HEADER = "stager-api-key"


class StagerState:
    def __init__(self, fixtures: JsonObject) -> None:
        self.fixtures = fixtures
        self.accounts: dict[str, Account] = {}
        self.load_fixtures()

    def load_fixtures(self, only: str | None = None) -> None:
        for key, spec in (self.fixtures.get("keys") or {}).items():
            if only is None or only == key:
                self.new_account(key, spec or {})

    def new_account(self, key: str, spec: JsonObject) -> Account:
        account = Account(
            key=key,
            livemode=not key.startswith("stager_test_"),
            revoked=bool(spec.get("revoked")),
        )
        self.accounts[key] = account
        return account

    def reset(self, api_key: str | None) -> bool:
        if api_key is None:
            self.accounts.clear()
            self.load_fixtures()
            return True
        found = self.accounts.pop(api_key, None) is not None
        self.load_fixtures(only=api_key)
        return found

    def account_for(self, key: str) -> Account:
        account = self.accounts.get(key)
        if account is None:
            if TEST_KEY_RE.match(key):
                return self.new_account(key, {})
            raise unauthorized("unknown API key", field=API_KEY_HEADER, sent_key=key)
        if account.revoked:
            raise unauthorized("this API key has been revoked", field=API_KEY_HEADER,
                               sent_key=key)
        return account

    def describe(self, account: Account) -> JsonObject:
        return {
            "api": "stagerai",
            "api_key": account.key,
            "livemode": account.livemode,
            "revoked": account.revoked,
            "plan": None,
            "credits": None,
            "credits_spent": 0,
            "max_parallel_jobs": None,
            "storage_limit_bytes": None,
            "storage_used_bytes": 0,
            "objects": account.count_objects(),
        }
