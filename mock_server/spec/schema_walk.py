"""Read facts out of a spec at startup (enums, bounds), so lists such as the capabilities
come from the spec rather than from a second copy in code."""

from __future__ import annotations

from ..jsontypes import Json, JsonObject
from .loader import resolve


def _branches(document: JsonObject, schema: Json) -> list[JsonObject]:
    schema = resolve(document, schema)
    if not isinstance(schema, dict):
        return []
    out = [schema]
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, []):
            out += _branches(document, sub)
    return out


def schema_at(document: JsonObject, schema: Json, dotted: str) -> JsonObject | None:
    """The subschema at a dotted property path (``input.options.aspect_ratio``), looking
    through ``$ref``, ``allOf``, ``oneOf`` and ``anyOf``."""
    nodes = _branches(document, schema)
    for part in dotted.split("."):
        found = []
        for node in nodes:
            prop = node.get("properties", {}).get(part)
            if prop is not None:
                found += _branches(document, prop)
            elif part == "[]" and "items" in node:
                found += _branches(document, node["items"])
        if not found:
            return None
        nodes = found
    merged: JsonObject = {}
    for node in nodes:
        for k, v in node.items():
            merged.setdefault(k, v)
    return merged


def enum_at(document: JsonObject, schema: Json, dotted: str) -> list[Json]:
    node = schema_at(document, schema, dotted) or {}
    if "enum" in node:
        return [v for v in node["enum"] if v is not None]
    items = node.get("items")
    if items is not None:
        items = resolve(document, items)
        return [v for v in items.get("enum", []) if v is not None]
    return []


def request_schema(document: JsonObject, path: str, method: str) -> JsonObject:
    op = resolve(document, document["paths"][path])[method]
    body = resolve(document, op["requestBody"])
    content = body["content"]
    media = "application/json" if "application/json" in content else next(iter(content))
    return content[media]["schema"]


def schemas_under(document: JsonObject, schema: Json, depth: int = 0) -> list[JsonObject]:
    """Every object schema under ``schema``: itself, its branches, its properties' and its
    items' (``$ref`` followed)."""
    node = resolve(document, schema)
    if not isinstance(node, dict) or depth > 12:
        return []
    out = [node]
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in node.get(key, ()):
            out += schemas_under(document, sub, depth + 1)
    for sub in (node.get("properties") or {}).values():
        out += schemas_under(document, sub, depth + 1)
    if isinstance(node.get("items"), dict):
        out += schemas_under(document, node["items"], depth + 1)
    return out


def names_only(branch: JsonObject) -> bool:
    """A choice's branch that only names its fields: ``required``, each perhaps restated by
    reference so that code generators keep its type (``properties: {image_url: {$ref:
    ImageUrl}}``), and perhaps "these fields and no other" (``additionalProperties: false``,
    Stager AI's ``File`` or ``file``). The parent's "exactly one of" (or the schema it
    constrains) says it all: nothing in it is a field or a rule of its own."""
    named = branch.get("properties", {})
    required = branch.get("required")
    return (isinstance(required, list) and isinstance(named, dict)
            and set(branch) <= {"required", "properties", "additionalProperties"}
            and branch.get("additionalProperties", False) is False
            and all(name in required and (isinstance(v, bool) or (
                isinstance(v, dict) and set(v) == {"$ref"})) for name, v in named.items()))
