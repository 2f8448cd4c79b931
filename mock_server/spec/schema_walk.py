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


def case_field(document: JsonObject, obj: Json, choice: Json) -> str | None:
    """The field whose cases a choice states rules by, else None. A rule such as "a
    ``completed`` job has an ``output``" written so that generators type it: a ``oneOf`` /
    ``anyOf`` whose every branch fixes one field of the object schema ``obj`` (``const``,
    ``enum`` or a lone JSON ``type``) and restates only fields ``obj`` lists. ``choice`` is
    ``obj`` itself when it names the field in a ``discriminator`` (the job's ``status``), or an
    ``allOf`` item of ``obj`` holding nothing but the choice and its marks (a test key's
    ``livemode``). The branches restate fields defined in ``obj``, as an ``if``/``then``
    would: the ledger counts them where they are defined, and a violation is judged by the
    branch the field picks (under the case's own mark)."""
    obj, node = resolve(document, obj), resolve(document, choice)
    if not isinstance(obj, dict) or not isinstance(node, dict):
        return None
    listed = obj.get("properties")
    keys = [k for k in ("oneOf", "anyOf") if k in node]
    if not isinstance(listed, dict) or len(keys) != 1:
        return None
    discriminator = node.get("discriminator")
    if node is obj:
        if not isinstance(discriminator, dict):
            return None
    elif not {k for k in node if not k.startswith("x-")} <= {keys[0], "discriminator",
                                                               "description"}:
        return None
    branches = [resolve(document, b) for b in node[keys[0]]]
    props = [b.get("properties") if isinstance(b, dict) else None for b in branches]
    if not branches or not all(isinstance(p, dict) and set(p) <= set(listed) for p in props):
        return None
    names = ([discriminator.get("propertyName")] if isinstance(discriminator, dict)
             else list(props[0] or ()))
    for name in names:
        if all(isinstance(p, dict) and _fixes(resolve(document, p.get(name))) for p in props):
            return str(name)
    return None


def _fixes(node: Json) -> bool:
    return isinstance(node, dict) and ("const" in node or "enum" in node
                                       or (set(node) == {"type"} and isinstance(node["type"],
                                                                                 str)))


def fits_case(document: JsonObject, branch: Json, name: str, instance: JsonObject) -> bool:
    """Whether the instance's value of ``name`` is the case ``branch`` fixes."""
    node = resolve(document, (resolve(document, branch).get("properties") or {}).get(name))
    if name not in instance or not isinstance(node, dict):
        return False
    value = instance[name]
    if "const" in node:
        return bool(value == node["const"] and type(value) is type(node["const"]))
    if "enum" in node:
        return any(value == v and type(value) is type(v) for v in node["enum"])
    kind = node.get("type")
    return {"null": value is None, "string": isinstance(value, str),
            "boolean": isinstance(value, bool),
            "object": isinstance(value, dict)}.get(str(kind), False)


def case_choices(document: JsonObject, obj: Json) -> list[tuple[list[str | int], str]]:
    """The choices by case of object schema ``obj`` (:func:`case_field`): (the choice's path
    under ``obj``: ``[]`` or ``["allOf", i]``, its keyword)."""
    obj = resolve(document, obj)
    if not isinstance(obj, dict):
        return []
    out: list[tuple[list[str | int], str]] = []
    candidates: list[tuple[list[str | int], Json]] = [([], obj)]
    candidates += [(["allOf", i], s) for i, s in enumerate(obj.get("allOf") or ())]
    for where, node in candidates:
        if isinstance(node, dict) and case_field(document, obj, node) is not None:
            out.append((where, "oneOf" if "oneOf" in node else "anyOf"))
    return out


def case_branch_names(document: JsonObject) -> set[str]:
    """The component schemas that are branches of a choice by case (``JobCompleted``): they
    restate fields of the object that lists them, counted there."""
    out: set[str] = set()
    schemas = (document.get("components") or {}).get("schemas") or {}
    for obj in schemas.values():
        for where, keyword in case_choices(document, obj):
            node = obj
            for part in where:
                node = node[part]
            for branch in node[keyword]:
                if isinstance(branch, dict) and isinstance(branch.get("$ref"), str):
                    out.add(branch["$ref"].rsplit("/", 1)[-1])
    return out
