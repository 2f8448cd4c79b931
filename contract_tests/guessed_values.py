"""Which values of a request only guesses of the spec allow (the rule behind
``Classifier.acceptance_guesses``, said in :mod:`contract_tests.guesses`).

A value "only guesses allow" sits where a constraining keyword (``enum``, ``const``, a
length, size or range limit, ``pattern``, ``format``, extra properties) applies to it and
every such keyword there is a guess (:func:`mock_server.spec.guesses.guess_at`), and no
example of the operation (or ``example`` of its schema) shows that very value at that
place. A value no keyword constrains (a free string) counts for neither side."""

from __future__ import annotations

from typing import Literal, NamedTuple

from contract_tests.answers import Spec
from contract_tests.ndjson import Case
from mock_server.jsontypes import Json
from mock_server.spec.guesses import guess_at
from mock_server.spec.loader import Operation, resolve
from mock_server.spec.validation import _compile, coerce

#: A place in the spec, as the keys and indexes from its root.
Path = list[str | int]


class Value(NamedTuple):
    """One value of a request: its field (``input.style``, a parameter's name, ``body``)
    and what constrains it: ``guess`` (only guessed rules; ``why``: the first guess's
    reason), ``documented`` (a documented rule does), ``free`` (nothing does, or an
    example of the spec shows this very value)."""

    field: str
    kind: Literal["guess", "documented", "free"]
    why: str


#: Keywords that refuse values, by the JSON type they apply to (``None``: any value).
_CONSTRAINING: dict[type | tuple[type, ...] | None, tuple[str, ...]] = {
    None: ("enum", "const"),
    str: ("maxLength", "minLength", "pattern", "format"),
    (int, float): ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf"),
    list: ("maxItems", "minItems", "uniqueItems"),
    dict: ("maxProperties", "minProperties"),
}


def pointer_parts(pointer: str) -> list[str]:
    """``#/paths/~1jobs/get`` → ``["paths", "/jobs", "get"]``."""
    if pointer in ("", "/"):
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("#").split("/")[1:]]


def request_values(document: Spec, op: Operation, case: Case) -> list[Value]:
    """Every value of the request of ``case`` (its path, query and header parameters, and a
    JSON body, field by field)."""
    out: list[Value] = []
    shown = _examples(document, op)
    item = document["paths"][op.path]
    method = op.method.lower()
    params: list[tuple[Path, Spec]] = [(["paths", op.path, "parameters", i], p)
                                       for i, p in enumerate(item.get("parameters") or [])]
    params += [(["paths", op.path, method, "parameters", i], p)
               for i, p in enumerate(item[method].get("parameters") or [])]
    sent = {
        "path": case.get("path_parameters") or {},
        "query": case.get("query") or {},
        "header": {str(k).lower(): v for k, v in (case.get("headers") or {}).items()},
    }
    for path, param in params:
        if "$ref" in param:
            path, param = list(pointer_parts(param["$ref"])), resolve(document, param)
        where = str(param.get("in", ""))
        name = param.get("name", "")
        key = name.lower() if where == "header" else name
        values = sent.get(where) or {}
        if key not in values or "schema" not in param:
            continue
        raw = values[key]
        if isinstance(raw, list) and len(raw) == 1 and where != "query":
            raw = raw[0]
        value = coerce(raw, resolve(document, param["schema"])) \
            if isinstance(raw, (str, list)) else raw
        _walk(document, path + ["schema"], param["schema"], value, name, shown, out)
    media = case.get("media_type")
    body = item[method].get("requestBody")
    if media == "application/json" and "body" in case and body is not None:
        body_path: Path = ["paths", op.path, method, "requestBody"]
        if "$ref" in body:
            body_path, body = list(pointer_parts(body["$ref"])), resolve(document, body)
        content = (body.get("content") or {}).get(media)
        if isinstance(content, dict) and "schema" in content:
            _walk(document, body_path + ["content", media, "schema"], content["schema"],
                  case["body"], "", shown, out)
    return out


def _examples(document: Spec, op: Operation) -> dict[str, list[Json]]:
    """Field → the values the operation's request examples show there."""
    out: dict[str, list[Json]] = {}

    def flatten(value: Json, name: str) -> None:
        out.setdefault(name, []).append(value)
        if isinstance(value, dict):
            for k, v in value.items():
                flatten(v, f"{name}.{k}" if name else str(k))
        elif isinstance(value, list):
            for v in value:
                flatten(v, f"{name}[]")

    raw = document["paths"][op.path][op.method.lower()]
    body = resolve(document, raw.get("requestBody") or {})
    for content in (body.get("content") or {}).values():
        if "example" in content:
            flatten(content["example"], "")
        for example in (content.get("examples") or {}).values():
            example = resolve(document, example)
            if isinstance(example, dict) and "value" in example:
                flatten(example["value"], "")
    return out


def _walk(document: Spec, path: Path, schema: Json, value: Json, name: str,
          shown: dict[str, list[Json]], out: list[Value]) -> None:
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:  # a referenced schema carries its own marks
        ref = schema["$ref"]
        _walk(document, list(pointer_parts(ref)), resolve(document, schema), value, name,
              shown, out)
        return
    kinds: list[str | None] = []
    for keyword in _applies(schema, value):
        kinds.append(guess_at(document, document, [*path, keyword]))
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = [k for k in value if k not in props]
        if extra and schema.get("additionalProperties", True) is not False:
            if "additionalProperties" in schema:
                kinds.append(guess_at(document, document, [*path, "additionalProperties"]))
    if kinds:
        shows = name in shown and value in shown[name]
        shows = shows or value == schema.get("example", object()) or \
            value in (schema.get("examples") or [])
        if shows:
            out.append(Value(name or "body", "free", ""))
        elif all(kinds):
            out.append(Value(name or "body", "guess", str(kinds[0])))
        else:
            out.append(Value(name or "body", "documented", ""))
    for i, sub in enumerate(schema.get("allOf") or []):
        _walk(document, [*path, "allOf", i], sub, value, name, shown, out)
    for keyword in ("oneOf", "anyOf"):
        for i, sub in enumerate(schema.get(keyword) or []):
            if _compile(document, sub).is_valid(value):
                _walk(document, [*path, keyword, i], sub, value, name, shown, out)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for key, sub in value.items():
            child = f"{name}.{key}" if name else key
            if key in props:
                _walk(document, [*path, "properties", key], props[key], sub, child, shown, out)
            elif isinstance(schema.get("additionalProperties"), dict):
                _walk(document, [*path, "additionalProperties"],
                      schema["additionalProperties"], sub, child, shown, out)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for sub in value:
            _walk(document, [*path, "items"], schema["items"], sub, f"{name}[]", shown, out)


def _applies(schema: Spec, value: Json) -> list[str]:
    out = []
    for kind, keywords in _CONSTRAINING.items():
        if kind is None or (isinstance(value, kind) and not isinstance(value, bool)):
            out += [k for k in keywords if k in schema]
    return out
