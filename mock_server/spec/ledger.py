"""The fidelity ledger: every name and value a vendor spec states, each either shown by the
vendor's reference, marked a guess, or marked documented by a section of the reference.

:func:`items` walks a spec and yields one :class:`Item` per token:

- ``path``: the literal segments of each path (``/jobs/{id}/regenerate`` → ``jobs``,
  ``regenerate``; a path item's ``x-stagemock-guess-keywords: {path: why}`` marks them
  without marking what the path item holds) and the names of the top-level ``webhooks``
  (the events);
- ``parameter``: each parameter's ``name`` (path, query, header, cookie);
- ``header``: each response header's name, and the header or cookie an ``apiKey`` security
  scheme names;
- ``field``: each key of a schema's ``properties``;
- ``required``: each name of a schema's ``required`` list;
- ``value``: each ``enum`` value and each ``const`` (the SSE event names of a stream are
  such values);
- ``default``: each ``default`` (its token: ``<name> default <value>``, see
  :func:`shown`);
- ``id prefix``: the literal prefix of an anchored id pattern (``^job_`` → ``job_``,
  ``^sk_(test|live)_`` → ``sk_test_`` and ``sk_live_``); other patterns (formats such as a
  signature's) are rules, listed with the guesses, not tokens;
- ``limit``: ``minimum``, ``maximum``, ``minLength``, ``maxLength``, ``minItems``,
  ``maxItems``, ``minProperties``, ``maxProperties`` (and the exclusive bounds);
- ``status``: each response status of each operation and webhook;
- ``error code``: each code of the spec's error table (``info.description``), classified by
  the mark of the error body's ``code`` field.

Not walked: prose (``description``, ``summary``), ``examples`` / ``example`` (illustrations,
not rules), ``links``, media types, ``x-`` extensions, and the ``if`` / ``then`` / ``else``
of a schema, nor a choice by case (``schema_walk.case_field``: a job's rules by ``status``)
and the component schemas that are its branches: they restate properties counted where they
are defined.

Each item is classified from the spec alone (:attr:`Item.mark`): ``("guess", why)`` when
``x-stagemock-guess`` covers it (:func:`guesses.guess_at` for the value of a keyword; for a
name, a mark on the node that carries it or on any enclosing one), ``("documented",
section)`` when the nearest mark is ``x-stagemock-documented: <section of the reference>``
(a rule the reference states in words; the nearer of the two marks wins), or ``None``: then
the reference must show the token itself (:func:`shown`, checked by
``tests/spec/test_ledger.py`` against the references).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..jsontypes import Json, JsonObject
from .citations import Sources, load_sources, own_mark, shown
from .error_table import error_code_field, error_codes
from .guesses import GUESS, GUESS_KEYWORDS, guess_at
from .loader import HTTP_METHODS, resolve
from .schema_walk import case_branch_names, case_choices, names_only

__all__ = ["Item", "Sources", "contradictions", "items", "load_sources", "own_mark", "shown"]

from .citations import DOCUMENTED

LIMITS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
          "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")
KINDS = ("path", "parameter", "header", "field", "required", "value", "default", "id prefix",
         "limit", "status", "error code", "rule")
#: The structural rules walked as items of kind ``rule`` (the token is the keyword).
RULE_KEYWORDS = ("additionalProperties", "oneOf", "anyOf", "not", "format", "pattern")
#: Schema keywords whose value is a schema / a list / a map of schemas.
_SUB = ("items", "additionalProperties", "propertyNames", "not", "contentSchema")
_SUBS = ("allOf", "anyOf", "oneOf", "prefixItems")


@dataclass(frozen=True)
class Item:
    kind: str
    pointer: str  # JSON pointer of the node (or keyword) that states the token
    token: str
    mark: tuple[str, str] | None  # ("guess", why) | ("documented", section) | None
    name: str | None = None  # for a default: the name it is the default of


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer(parts: Sequence[str | int]) -> str:
    return "/" + "/".join(_escape(p) for p in parts) if parts else "/"


def _marks(document: JsonObject, parts: Sequence[str | int], follow_last: bool
           ) -> tuple[tuple[int, str, str] | None, tuple[int, str, str] | None]:
    """The nearest ``x-stagemock-guess`` and ``x-stagemock-documented`` on the walk from the
    document root to ``parts`` (the node itself included; ``$ref`` followed on the way as
    :func:`guess_at` does, and at the end when ``follow_last``): ``(depth, kind, text)``."""
    node: Json = document
    guess = documented = None
    for depth in range(len(parts) + 1):
        if isinstance(node, dict):
            if isinstance(node.get(GUESS), str):
                guess = (depth, "guess", node[GUESS])
            if isinstance(node.get(DOCUMENTED), str):
                documented = (depth, "documented", node[DOCUMENTED])
        if depth == len(parts):
            if follow_last and isinstance(node, dict) and "$ref" in node:
                target = resolve(document, node)
                if isinstance(target.get(GUESS), str) and GUESS not in node:
                    guess = (depth, "guess", target[GUESS])
                if isinstance(target.get(DOCUMENTED), str) and DOCUMENTED not in node:
                    documented = (depth, "documented", target[DOCUMENTED])
            break
        part = parts[depth]
        if isinstance(node, dict) and "$ref" in node and part not in node:
            node = resolve(document, node)
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, TypeError, ValueError):
            break
    return guess, documented


def classify(document: JsonObject, parts: Sequence[str | int], keyword: str | None = None,
             follow_last: bool = False) -> tuple[str, str] | None:
    """The mark of a token: the value of ``keyword`` of the node at ``parts`` (its guess as
    :func:`guess_at` decides), or, without ``keyword``, the name carried by that node."""
    guess, documented = _marks(document, parts, follow_last)
    if keyword is not None:
        node: Json = document
        for part in parts:
            node = resolve(document, node) if isinstance(node, dict) and "$ref" in node \
                and part not in node else node
            node = node[int(part)] if isinstance(node, list) else node[part]
        local = node.get(GUESS_KEYWORDS) if isinstance(node, dict) else None
        if isinstance(local, dict) and isinstance(local.get(keyword), str):
            return ("guess", local[keyword])
        why = guess_at(document, document, [*parts, keyword])
        guess = (guess[0] if guess else -1, "guess", why) if why is not None else None
    if documented and (guess is None or documented[0] >= guess[0]):
        return ("documented", documented[2])
    return ("guess", guess[2]) if guess else None


def _prefixes(pattern: str) -> list[str]:
    """The literal id prefixes of an anchored pattern (``^job_``, ``^sk_(test|live)_``)."""
    m = re.fullmatch(r"\^([A-Za-z0-9_]+)(?:\(([A-Za-z0-9_|]+)\)([A-Za-z0-9_]*))?", pattern)
    if not m:
        return []
    head, group, tail = m.group(1), m.group(2), m.group(3) or ""
    return [head + alt + tail for alt in group.split("|")] if group else [head]


def _scalar(value: Json) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _is_rule(node: JsonObject, keyword: str) -> bool:
    """Whether ``node`` states the structural rule ``keyword``: no unknown properties, a
    choice (``oneOf`` / ``anyOf`` / ``not``), a ``format`` (a file part's ``binary`` is a
    media type, not a rule) or a ``pattern`` that is not an id prefix."""
    value = node.get(keyword)
    if keyword == "additionalProperties":
        return value is False
    if keyword == "format":
        return isinstance(value, str) and value != "binary"
    if keyword == "pattern":
        return isinstance(value, str) and not _prefixes(value)
    return keyword in node


def _schema(document: JsonObject, node: Json, parts: Sequence[str | int], name: str | None
            ) -> Iterator[Item]:
    if not isinstance(node, dict):
        return
    for key, value in node.get("properties", {}).items() if isinstance(
            node.get("properties"), dict) else ():
        where = [*parts, "properties", key]
        if value is False:  # a name that must be absent (a listing's `secret`): a rule
            yield Item("rule", pointer(where), "absent", classify(document, where))
            continue
        target = resolve(document, value) if isinstance(value, dict) and "$ref" in value else {}
        follow = "properties" in target  # an object whose whole shape is marked
        yield Item("field", pointer(where), str(key), classify(document, where,
                                                                 follow_last=follow))
        yield from _schema(document, value, where, str(key))
    if isinstance(node.get("required"), list):
        mark = classify(document, parts, "required")
        found = node.get("properties")
        properties: JsonObject = found if isinstance(found, dict) else {}
        for field in node["required"]:
            # requiring a field the spec marks (a guessed field) is marked with it
            own = mark or (classify(document, [*parts, "properties", field])
                           if field in properties else None)
            yield Item("required", pointer([*parts, "required"]), str(field), own)
    for keyword in ("enum", "const"):
        if keyword in node:
            mark = classify(document, parts, keyword)
            values = node[keyword] if keyword == "enum" else [node[keyword]]
            for value in values:
                yield Item("value", pointer([*parts, keyword]), _scalar(value), mark)
    if "default" in node:
        yield Item("default", pointer([*parts, "default"]), json.dumps(node["default"]),
                   classify(document, parts, "default"), name)
    if isinstance(node.get("pattern"), str):
        mark = classify(document, parts, "pattern")
        for prefix in _prefixes(node["pattern"]):
            yield Item("id prefix", pointer([*parts, "pattern"]), prefix, mark)
    cases = {tuple(where) for where, _ in case_choices(document, node)}
    for keyword in RULE_KEYWORDS:
        if () in cases and keyword in ("oneOf", "anyOf"):
            continue  # restates properties by case, as an if/then would
        if _is_rule(node, keyword):
            yield Item("rule", pointer([*parts, keyword]), keyword,
                       classify(document, parts, keyword))
    for keyword in LIMITS:
        if isinstance(node.get(keyword), (int, float)) and not isinstance(node[keyword], bool):
            yield Item("limit", pointer([*parts, keyword]), _scalar(node[keyword]),
                       classify(document, parts, keyword))
    for keyword in _SUB:
        if isinstance(node.get(keyword), dict):
            yield from _schema(document, node[keyword], [*parts, keyword], name)
    for keyword in _SUBS:
        rule = classify(document, parts, keyword) if keyword != "allOf" else None
        if () in cases and keyword != "allOf":
            continue
        for i, sub in enumerate(node.get(keyword) or []):
            if (keyword, i) in cases:
                continue
            for item in _schema(document, sub, [*parts, keyword, i], name):
                if item.kind in ("rule", "field") and isinstance(sub, dict) and names_only(sub):
                    continue  # restated by reference, "and no other": the choice's own rule
                # a branch's names and values are the choice's: a guessed choice marks them
                yield item if item.mark or rule is None else Item(
                    item.kind, item.pointer, item.token, rule, item.name)


def _parameter(document: JsonObject, node: JsonObject, parts: Sequence[str | int]
               ) -> Iterator[Item]:
    if "$ref" in node:
        return  # walked where it is defined (components.parameters)
    yield Item("parameter", pointer([*parts, "name"]), str(node["name"]),
               classify(document, parts))
    if isinstance(node.get("schema"), dict):
        yield from _schema(document, node["schema"], [*parts, "schema"], str(node["name"]))


def _responses(document: JsonObject, responses: JsonObject, parts: Sequence[str | int]
               ) -> Iterator[Item]:
    for status, response in responses.items():
        where = [*parts, "responses", status]
        yield Item("status", pointer(where), str(status),
                   classify(document, where, follow_last=True))
        if not isinstance(response, dict) or "$ref" in response:
            continue  # a shared response: walked in components.responses (its statuses here)
        yield from _response_body(document, response, where)


def _response_body(document: JsonObject, response: JsonObject, parts: Sequence[str | int]
                   ) -> Iterator[Item]:
    for header, spec in (response.get("headers") or {}).items():
        where = [*parts, "headers", header]
        yield Item("header", pointer(where), str(header),
                   classify(document, where, follow_last=True))
        if isinstance(spec, dict) and isinstance(spec.get("schema"), dict):
            yield from _schema(document, spec["schema"], [*where, "schema"], str(header))
    for media, content in (response.get("content") or {}).items():
        if isinstance(content, dict) and isinstance(content.get("schema"), dict):
            yield from _schema(document, content["schema"],
                               [*parts, "content", media, "schema"], None)


def _operation(document: JsonObject, op: JsonObject, parts: Sequence[str | int]
               ) -> Iterator[Item]:
    for i, param in enumerate(op.get("parameters") or []):
        yield from _parameter(document, param, [*parts, "parameters", i])
    body = op.get("requestBody")
    if isinstance(body, dict) and "$ref" not in body:
        for media, content in (body.get("content") or {}).items():
            if isinstance(content, dict) and isinstance(content.get("schema"), dict):
                yield from _schema(document, content["schema"],
                                   [*parts, "requestBody", "content", media, "schema"], None)
    yield from _responses(document, op.get("responses") or {}, parts)


def items(document: JsonObject, sources: Sources | None = None) -> list[Item]:
    """Every token of the spec, in document order (see the module's docstring). With
    ``sources`` (:func:`load_sources`), an item the table cites is ``("documented", "<file>
    §<section> (line N)")`` unless a mark on the item itself says otherwise (a contradiction
    :func:`contradictions` lists), and an ``x-stagemock-documented: <section>`` mark reads
    ``("documented", "<file> §<section>")``."""
    found = _walk(document)
    if sources is None:
        return found
    out: list[Item] = []
    for item in found:
        source = sources.source(item.pointer, item.token)
        mark = item.mark
        if source is not None and own_mark(document, item) is None:
            mark = ("documented", source)
        elif mark is not None and mark[0] == "documented" and " §" not in mark[1]:
            mark = ("documented", sources.documented(mark[1]))
        out.append(Item(item.kind, item.pointer, item.token, mark, item.name))
    return out


def contradictions(document: JsonObject, sources: Sources) -> list[Item]:
    """Items the table cites that carry a mark of their own (see :func:`own_mark`)."""
    return [i for i in _walk(document) if sources.line_of(i.pointer, i.token) is not None
            and own_mark(document, i) is not None]


def _walk(document: JsonObject) -> list[Item]:
    out: list[Item] = []
    for path, item in (document.get("paths") or {}).items():
        where = ["paths", path]
        local = item.get(GUESS_KEYWORDS) if isinstance(item, dict) else None
        mark = (("guess", local["path"]) if isinstance(local, dict)
                and isinstance(local.get("path"), str) else classify(document, where))
        for segment in path.strip("/").split("/"):
            if segment and not segment.startswith("{"):
                out.append(Item("path", pointer(where), segment, mark))
        item = resolve(document, item)
        for i, param in enumerate(item.get("parameters") or []):
            out += _parameter(document, param, [*where, "parameters", i])
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                out += _operation(document, item[method], [*where, method])
    for event, item in (document.get("webhooks") or {}).items():
        where = ["webhooks", event]
        out.append(Item("path", pointer(where), str(event), classify(document, where)))
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                out += _operation(document, item[method], [*where, method])
    components = document.get("components") or {}
    for name, scheme in (components.get("securitySchemes") or {}).items():
        if scheme.get("type") == "apiKey":
            where = ["components", "securitySchemes", name]
            out.append(Item("header", pointer([*where, "name"]), str(scheme["name"]),
                            classify(document, where)))
    for name, param in (components.get("parameters") or {}).items():
        out += _parameter(document, param, ["components", "parameters", name])
    for name, header in (components.get("headers") or {}).items():
        if isinstance(header.get("schema"), dict):
            where = ["components", "headers", name, "schema"]
            out += _schema(document, header["schema"], where, name)
    for name, response in (components.get("responses") or {}).items():
        out += _response_body(document, response, ["components", "responses", name])
    restating = case_branch_names(document)
    for name, schema in (components.get("schemas") or {}).items():
        if name in restating:
            continue
        out += _schema(document, schema, ["components", "schemas", name],
                       name[:1].lower() + name[1:])
    field = error_code_field(document)
    mark = classify(document, field) if field else None
    for code in error_codes(document):
        out.append(Item("error code", "/info/description", code, mark))
    return out


def documented_marks(document: JsonObject) -> list[tuple[str, str]]:
    """Every ``(json pointer, section)`` of an ``x-stagemock-documented`` mark, in document
    order. The map form ``x-stagemock-documented: {description: <section>}`` documents only
    the rule a node's ``description`` states (an operation's prose), nothing below it: its
    pointer is ``<pointer> (description)``."""
    out: list[tuple[str, str]] = []

    def walk(node: Json, parts: Sequence[str | int]) -> None:
        if isinstance(node, dict):
            if isinstance(node.get(DOCUMENTED), str):
                out.append((pointer(parts), node[DOCUMENTED]))
            elif isinstance(node.get(DOCUMENTED), dict):
                for key, section in node[DOCUMENTED].items():
                    out.append((f"{pointer(parts)} ({key})", str(section)))
            for key, value in node.items():
                walk(value, [*parts, key])
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, [*parts, i])

    walk(document, [])
    return out
