"""Load an OpenAPI 3.1 document once and flatten it into ``Operation`` records.

Parameters, request bodies and responses are dereferenced here, at startup; schemas keep
their ``$ref``s and are compiled against the whole document (see ``validation``), so no
request ever walks the spec.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

import yaml

from ..jsontypes import Json, JsonObject

#: The C loader when libyaml is there (much faster); the pure-Python one otherwise.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

#: ``guesses.GUESS`` (that module imports this one).
_GUESS = "x-stagemock-guess"
_R = TypeVar("_R")


def response_key(responses: Mapping[str, object] | None, status: int | str,
                 default: bool = True) -> str | None:
    """The key of an operation's ``responses`` that covers ``status``: the status itself,
    else its range as OpenAPI writes it (``5XX``, which the specs declare for the 5xx the
    mock answers only for injected faults), else ``default`` (when ``default``); ``None``
    when the operation declares no such answer."""
    responses = responses or {}
    code = str(status)
    for key in (code, f"{code[:1]}XX", f"{code[:1]}xx", *(("default",) if default else ())):
        if key in responses:
            return key
    return None


def declared_response(responses: Mapping[str, _R] | None, status: int | str) -> _R | None:
    """The answer an operation's ``responses`` declare for ``status`` (:func:`response_key`:
    the status, its range, or ``default``), ``None`` when it declares none."""
    key = response_key(responses, status)
    return responses.get(key) if responses and key is not None else None


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path | query | header | cookie
    required: bool
    schema: JsonObject


@dataclass(frozen=True)
class Operation:
    api: str
    operation_id: str
    method: str  # upper case
    path: str  # as written in the spec
    route_path: str  # mount prefix + path, Starlette syntax
    parameters: tuple[Parameter, ...]
    body_required: bool
    body_content: dict[str, JsonObject]  # media type -> schema
    security: tuple[dict[str, list[str]], ...]
    responses: JsonObject = field(hash=False, compare=False)

    # Read on every request: computed once (the operation is frozen).
    @cached_property
    def security_schemes(self) -> frozenset[str]:
        return frozenset(name for req in self.security for name in req)

    @cached_property
    def has_query(self) -> bool:
        return any(p.location == "query" for p in self.parameters)


@dataclass(frozen=True)
class ApiSpec:
    name: str
    document: JsonObject
    prefix: str
    operations: tuple[Operation, ...]

    @property
    def security_schemes(self) -> JsonObject:
        return self.document.get("components", {}).get("securitySchemes", {})



def resolve(document: JsonObject, node: Json) -> Json:
    """Follow local ``$ref``s (``#/a/b``) until a non-reference node."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are supported, got {ref!r}")
        node = document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        seen += 1
        if seen > 50:
            raise ValueError(f"$ref cycle at {ref!r}")
    return node


def schema_node(document: JsonObject, root: Json, path: Sequence[str | int]) -> Json:
    """The schema node at a validator error's ``schema_path`` (``$ref`` followed; a path that
    starts at ``components`` is read from the document, any other from ``root``), ``None``
    when the path leads nowhere."""
    node: Json = document if path and path[0] == "components" else root
    for part in path:
        node = resolve(document, node)
        if part == "$ref":
            continue  # already followed by resolve()
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, TypeError, ValueError):
            return None
    return resolve(document, node)


@functools.cache
def read_document(path: Path) -> JsonObject:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_Loader)


def _route_path(prefix: str, path: str, catch_all: frozenset[str]) -> str:
    out = prefix + path
    for name in catch_all:
        out = out.replace("{" + name + "}", "{" + name + ":path}")
    return out


def load_spec(
    name: str, path: Path, prefix: str, catch_all: frozenset[str] = frozenset()
) -> ApiSpec:
    """Load ``path`` and flatten its operations. ``catch_all`` names path parameters that may
    contain slashes (GCS object names)."""
    document = read_document(path)
    global_security = document.get("security", [])
    operations = []
    for spec_path, item in document.get("paths", {}).items():
        item = resolve(document, item)
        shared = [resolve(document, p) for p in item.get("parameters", [])]
        for method in HTTP_METHODS:
            if method not in item:
                continue
            raw = item[method]
            params: dict[tuple[str, str], Parameter] = {}
            for p in shared + [resolve(document, p) for p in raw.get("parameters", [])]:
                schema = p.get("schema", {})
                if isinstance(p.get(_GUESS), str) and _GUESS not in schema:
                    # a guessed parameter: its schema's rules are guesses (guesses.guess_at
                    # walks the schema only), so a violation says so
                    schema = {**schema, _GUESS: p[_GUESS]}
                params[(p["name"], p["in"])] = Parameter(
                    name=p["name"],
                    location=p["in"],
                    required=bool(p.get("required", p["in"] == "path")),
                    schema=schema,
                )
            body = resolve(document, raw.get("requestBody", {}))
            content = {
                media: (spec or {}).get("schema", {})
                for media, spec in body.get("content", {}).items()
            }
            responses = {
                code: resolve(document, resp) for code, resp in raw.get("responses", {}).items()
            }
            operations.append(
                Operation(
                    api=name,
                    operation_id=raw["operationId"],
                    method=method.upper(),
                    path=spec_path,
                    route_path=_route_path(prefix, spec_path, catch_all),
                    parameters=tuple(params.values()),
                    body_required=bool(body.get("required", False)),
                    body_content=content,
                    security=tuple(raw.get("security", global_security)),
                    responses=responses,
                )
            )
    return ApiSpec(name=name, document=document, prefix=prefix, operations=tuple(operations))
