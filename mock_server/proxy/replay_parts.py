"""A replay's parts (``replay``): its outcome, one API of the recording as replayed, and the
answers' bodies as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from ..jsontypes import Json, JsonObject
from ..resources import data_dir
from ..spec.loader import Operation, load_spec
from .shapes import Difference, SchemaWalker


@dataclass
class Outcome:
    replayed: int = 0
    skipped: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    #: exchanges replayed per API
    apis: dict[str, int] = field(default_factory=dict)
    #: what the reader should know beside the differences (keys, states not compared)
    notes: list[str] = field(default_factory=list)

    @property
    def documented(self) -> list[Difference]:
        return [d for d in self.differences if d.rule == "documented"]

    def as_json(self) -> JsonObject:
        return {"replayed": self.replayed, "apis": dict(self.apis), "skipped": self.skipped,
                "notes": self.notes,
                "differences": [{**d.as_json(), **d.extra} for d in self.differences],
                "documented": len(self.documented)}


@dataclass
class View:
    """One API of the recording as replayed: where it goes, and its spec."""

    api: str
    base_url: str
    recorded_base: str
    document: JsonObject
    operations: dict[str, Operation]
    walker: SchemaWalker

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"


def _view(api: str, base_url: str, recorded_base: str) -> View:
    spec = load_spec(api, data_dir("openapi") / f"{api}.yaml", "")
    return View(api, base_url.rstrip("/"), recorded_base, spec.document,
                {op.operation_id: op for op in spec.operations}, SchemaWalker(spec.document))


def _json(path: Path, response: JsonObject) -> Json:
    body = response.get("body")
    if body is None:
        return None
    if "json" in body:
        return body["json"]
    if "text" in body:
        try:
            return json.loads(body["text"])
        except ValueError:
            return None
    return None


def _parse(r: httpx.Response) -> Json:
    if "json" not in r.headers.get("content-type", ""):
        return None
    try:
        return r.json()
    except ValueError:
        return None


def _code(body: JsonObject) -> str | None:
    err = body.get("error")
    return err.get("code") if isinstance(err, dict) else None


def _url(value: Json) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))
