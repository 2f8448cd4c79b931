"""Tool input schemas read from ``openapi/stagepro.yaml``, so they cannot drift from the spec.

A tool's schema is the operation's JSON request body schema with every ``$ref`` inlined
(MCP clients expect one self-contained object schema), plus its path parameters (``id``)
as required properties; a query-only operation gets its query parameters as properties.
"""

from __future__ import annotations

import copy
from pathlib import Path

from ..jsontypes import Json, JsonObject
from ..settings import Settings
from ..spec.loader import read_document, resolve

JSON = "application/json"


def spec_path() -> Path:
    return Settings().openapi_dir / "stagepro.yaml"


def document() -> JsonObject:
    return read_document(spec_path())


def admin_document() -> JsonObject:
    """The mock's control plane (``openapi/admin.yaml``): the mock-only tools' schemas."""
    return read_document(Settings().openapi_dir / "admin.yaml")


def inline(doc: JsonObject, node: Json, depth: int = 0) -> Json:
    """``node`` with every local ``$ref`` replaced by a copy of its target (recursively)."""
    if depth > 40:
        raise ValueError("schema nests too deep (a $ref cycle?)")
    if isinstance(node, dict):
        if "$ref" in node:
            target = inline(doc, resolve(doc, node), depth + 1)
            extra = {k: inline(doc, v, depth + 1) for k, v in node.items() if k != "$ref"}
            return {**target, **extra} if extra else target
        return {k: inline(doc, v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(doc, v, depth + 1) for v in node]
    return copy.deepcopy(node)


def operation(doc: JsonObject, method: str, path: str) -> JsonObject:
    return doc["paths"][path][method]


def _parameters(doc: JsonObject, op: JsonObject, where: str) -> list[JsonObject]:
    out = []
    for p in op.get("parameters", []):
        p = resolve(doc, p)
        if p["in"] == where:
            out.append(p)
    return out


def tool_schema(
    method: str, path: str, *, omit: tuple[str, ...] = (), doc: JsonObject | None = None
) -> JsonObject:
    """The input schema of the tool wrapping ``method path`` (``omit``: body properties the
    tool does not offer, e.g. ``stream`` of agent messages: a tool answers once)."""
    doc = doc or document()
    op = operation(doc, method, path)
    body = resolve(doc, op.get("requestBody", {}))
    media = body.get("content", {}).get(JSON)
    if media is not None:
        schema = inline(doc, media["schema"])
    else:
        schema = {"type": "object", "additionalProperties": False, "properties": {}}
        for p in _parameters(doc, op, "query"):
            prop = inline(doc, p["schema"])
            if p.get("description"):
                prop = {**prop, "description": p["description"]}
            schema["properties"][p["name"]] = prop
            if p.get("required"):
                schema.setdefault("required", []).append(p["name"])
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    for name in omit:
        schema["properties"].pop(name, None)
    path_params = _parameters(doc, op, "path")
    if path_params:
        props = {}
        for p in path_params:
            prop = inline(doc, p["schema"])
            prop.setdefault("description", p.get("description", f"The {p['name']} of the object."))
            props[p["name"]] = prop
        schema["properties"] = {**props, **schema["properties"]}
        schema["required"] = [p["name"] for p in path_params] + [
            r for r in schema.get("required", []) if r not in props
        ]
    return schema


def prices() -> JsonObject:
    """The credit price table (``fixtures/prices.yaml``), for tool descriptions."""
    import yaml

    with open(Settings().fixtures_dir / "prices.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def enum_of(name: str, doc: JsonObject | None = None) -> list[str]:
    doc = doc or document()
    return list(doc["components"]["schemas"][name]["enum"])
