"""The meaning check of a citation (``openapi/sources/<api>.yaml``, read by
``citations.py``): which operations an item belongs to, and on which side (request or
response); whether a line of the reference stands in a request example, a response example or
prose; and whether it shows a token in the role of an item's kind. ``tests/spec/test_ledger.py``
holds every citation to :func:`meaning`, and refuses planted coincidences with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..jsontypes import Json, JsonObject
from .citations import Sources
from .loader import HTTP_METHODS

#: Every operation of the API (a section that documents all of them: an endpoint table).
ALL = "*"


# ------------------------------------------------------------------ which operations
def _refs(node: Json) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value.lstrip("#")
            elif key not in ("examples", "example", "links"):
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _at(document: JsonObject, pointer: str) -> Json:
    node: Json = document
    for part in pointer.strip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _closure(document: JsonObject, todo: list[str]) -> set[str]:
    seen: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        try:
            todo += _refs(_at(document, ref))
        except (KeyError, IndexError, ValueError):
            pass
    return seen


_SIDES: dict[int, tuple[JsonObject, dict[str, tuple[str, set[str], set[str]]]]] = {}


def sides(document: JsonObject) -> dict[str, tuple[str, set[str], set[str]]]:
    """Each operation: its own pointer, the components its request reaches (parameters,
    body, security) and those its responses reach, through ``$ref`` transitively (kept for
    the last documents asked about)."""
    kept = _SIDES.get(id(document))
    if kept is not None and kept[0] is document:
        return kept[1]
    out: dict[str, tuple[str, set[str], set[str]]] = {}
    for name, (own, _refs_all) in reach(document).items():
        op = _at(document, own)
        item = _at(document, own.rsplit("/", 1)[0])
        assert isinstance(op, dict) and isinstance(item, dict)
        request = list(_refs(op.get("parameters") or [])) + list(_refs(op.get("requestBody")))
        request += list(_refs(item.get("parameters") or []))
        security = op.get("security", document.get("security"))
        request += [f"/components/securitySchemes/{s}"
                    for req in security or [] if isinstance(req, dict) for s in req]
        response = list(_refs(op.get("responses")))
        out[name] = (own, _closure(document, request), _closure(document, response))
    if len(_SIDES) > 8:
        _SIDES.clear()
    _SIDES[id(document)] = (document, out)
    return out


def reach(document: JsonObject) -> dict[str, tuple[str, set[str]]]:
    """Each operation (``operationId``; a webhook: ``webhook:<event>``): its own pointer and
    every component pointer it reaches through ``$ref`` (transitively)."""
    out: dict[str, tuple[str, set[str]]] = {}
    for group in ("paths", "webhooks"):
        for path, item in (document.get(group) or {}).items():
            for method in HTTP_METHODS:
                op = item.get(method) if isinstance(item, dict) else None
                if not isinstance(op, dict):
                    continue
                name = op.get("operationId") or f"webhook:{path}"
                own = f"/{group}/{_escape(path)}/{method}"
                todo = list(_refs(op)) + list(_refs(item.get("parameters") or []))
                security = op.get("security", document.get("security"))
                todo += [f"/components/securitySchemes/{s}"
                         for req in security or [] if isinstance(req, dict) for s in req]
                out[str(name)] = (own, _closure(document, todo))
    return out


def operations_of(document: JsonObject, pointer: str, side: str | None = None) -> set[str]:
    """The operations an item at ``pointer`` belongs to: its own operation, every operation
    of its path item (a path or a path-level parameter), or every operation that reaches the
    component it is under. The error table (``/info/description``) belongs to all of them.
    ``side`` (``"request"`` / ``"response"``) keeps only the operations whose request (or
    responses) hold the item."""
    out: set[str] = set()
    for name, (own, request, response) in sides(document).items():
        path_item = own.rsplit("/", 1)[0]
        under = [r for r in (request if side == "request" else response if side == "response"
                             else request | response)]
        here = pointer[len(own):] if pointer.startswith(own + "/") else None
        if here is not None:
            is_request = here.startswith(("/parameters", "/requestBody"))
            if side is None or (side == "request") == is_request:
                out.add(name)
        elif (pointer == path_item or pointer.startswith(path_item + "/parameters/")
              or pointer.startswith("/paths/") and pointer == own):
            if side != "response":
                out.add(name)
        elif pointer == "/info/description":
            if side != "request":
                out.add(name)
        elif any(pointer == r or pointer.startswith(r + "/") for r in under):
            out.add(name)
    return out


def line_side(lines: list[str], number: int) -> str | None:
    """Whether line ``number`` (1-based) of a reference stands in a request example
    (``"request"``: a ``curl`` command, or after ``Request Body``), a response example
    (``"response"``: after ``Response JSON``) or prose (``None``)."""
    if re.search(r"\b(values|variations|configurations)\b[^:]*:", lines[number - 1]):
        return None  # a list of allowed values: prose about the request
    start = number - 1
    while start > 0 and lines[start - 1].strip():
        start -= 1  # the paragraph: the non-blank lines around the cited one
    side = None
    for line in lines[start:number]:
        if "Response JSON" in line:
            side = "response"
        elif "Request Body" in line or line.lstrip().startswith("curl "):
            side = "request"
    return side


def value_names(document: JsonObject, pointer: str) -> set[str]:
    """The field or parameter names whose values an ``enum`` / ``const`` at ``pointer`` lists:
    the property (or parameter) it is written under, or every property that refers to the
    component schema it is written on."""
    parts = pointer.strip("/").split("/")
    names: set[str] = set()
    if "properties" in parts:
        names.add(parts[len(parts) - 1 - parts[::-1].index("properties") + 1])
    if len(parts) >= 2 and parts[-2] == "schema":
        try:
            param = _at(document, "/" + "/".join(parts[:-2]))
            if isinstance(param, dict) and isinstance(param.get("name"), str):
                names.add(param["name"])
        except (KeyError, IndexError, ValueError):
            pass
    if parts[:2] == ["components", "schemas"] and len(parts) == 4:
        target = "#/components/schemas/" + parts[2]

        def walk(node: Json, key: str | None) -> None:
            if isinstance(node, dict):
                if node.get("$ref") == target and key:
                    names.add(key)
                for k, v in node.items():
                    if k in ("examples", "example"):
                        continue
                    walk(v, k if k not in ("items", "schema", "allOf", "oneOf", "anyOf")
                         and not k.startswith("x-") else key)
                if isinstance(node.get("name"), str) and isinstance(node.get("schema"), dict) \
                        and node["schema"].get("$ref") == target:
                    names.add(node["name"])
            elif isinstance(node, list):
                for v in node:
                    walk(v, key)

        walk(document, None)
    return names


# ------------------------------------------------------------------ roles
_ID = r"[A-Za-z_][\w\-]*"


def _w(token: str) -> str:
    return r"(?<![\w\-])" + re.escape(token) + r"(?![\w\-]|\.\d)"


def _listed(token: str, line: str) -> bool:
    """``token`` is one of a list of values: after a colon (``values: a, b``, ``Events: a,
    b.``, ``light | medium``), or a bullet (``• a``)."""
    if re.fullmatch(r"\s*•\s*" + re.escape(token) + r"\s*", line):
        return True
    if ":" not in line:
        return False
    tail = re.sub(r"\([^)]*\)", "", line.split(": ", 1)[-1] if ": " in line else "")
    parts = [p.strip().rstrip(".").strip() for p in re.split(r",|\|", tail)]
    return len(parts) > 1 and token in parts


def _identifier(token: str) -> bool:
    """A name no English word is: ``snake_case`` or ``camelCase`` (``upload_id``,
    ``readyToRender``)."""
    return "_" in token.strip("_") or bool(re.search(r"[a-z][A-Z]", token))


def role(kind: str, token: str, line: str, fields: set[str], node: Json = None,
         names: set[str] | None = None) -> bool:
    """Whether ``line`` shows ``token`` in the role of an item of ``kind`` (``fields``: for a
    default, the field it is the default of; ``node``: the schema of a rule; ``names``: the
    fields a value is a value of, :func:`value_names`)."""
    line = line.replace("\\n", " ")
    t, w = re.escape(token), _w(token)
    if kind in ("field", "required"):
        return bool(re.search(rf'"{t}"\s*:|(?:^|[\s{{,]){t}:\s|\.{t}(?![\w\-])|{w}\.\w'
                              rf"|\bfield {t}\b|[?&]{t}=|\b(?:with|and|get a) (?:\w+ )?{t}\b", line)
                    or (_identifier(token) and re.search(w, line)))
    if kind == "value":
        if _listed(token, line) or re.search(rf"{w} webhook\b", line):
            return True
        for name in names or ():
            n = re.escape(name)
            if re.search(rf'"{n}"\s*:\s*(?:"{t}"|\[[^\]]*"{t}"|{t}(?![\w\-]))', line) or \
                    re.search(rf"(?<![\w\-]){n} (?:is |set to )?(?:[\w\-:.]+ or )?{w}", line):
                return True
        return False
    if kind == "path":
        return (bool(re.search(rf"(?<!/)/{t}(?![a-z0-9_\-])|{w} webhook\b", line))
                or _listed(token, line))
    if kind == "parameter":
        return bool(re.search(rf"[?&]{t}=|[{{:]{t}\b|{w}:|{w} header", line)
                    or (re.fullmatch(r"[A-Z][A-Za-z]*(-[A-Z][A-Za-z]*)+", token)
                        and re.search(w, line)))
    if kind == "header":
        return bool(re.search(rf"{w}:|{w} header|-H \"{t}", line)
                    or ("-" in token and re.search(w, line)))
    if kind == "status":
        return bool(re.search(rf"^\s*{t} —|\breturns {t}\b|\b{t} (?:with|Accepted|Created)",
                              line))
    if kind == "limit":
        return bool(re.search(rf"\b(?:Max|max|up to|at most|Up to) {w}|\d+[–-]{t}\b"
                              rf"|\b{t}[–-]\d+", line))
    if kind == "id prefix":
        return bool(re.search(rf"(?<![\w\-]){t}(?=[A-Z0-9<]|\))", line))
    if kind == "default":
        name = min(fields) if fields else ""  # the field it is the default of
        return bool(name and re.search(_w(str(name)), line) and re.search(r"\bdefaults?\b",
                                                                          line)
                    and re.search(w, line))
    if kind == "rule" and token in ("oneOf", "anyOf") and isinstance(node, dict):
        alternatives = [n for alt in node.get(token) or [] if isinstance(alt, dict)
                        for n in alt.get("required") or []]
        named = [n for n in alternatives if re.search(_w(n), line)]
        return len(named) >= 2 and bool(re.search(r"\binstead of\b|\bone of\b|\bor\b", line))
    return False


def meaning(document: JsonObject, sources: Sources, kind: str, pointer: str, token: str,
            reference: str, name: str | None = None) -> str | None:
    """Why the citation of an item does not hold (``None`` when it does): its line must show
    the token in the role of ``kind`` and stand in a section documenting one of the item's
    operations."""
    line_no = sources.line_of(pointer, token)
    if line_no is None:
        return "not cited"
    lines = reference.splitlines()
    if not 1 <= line_no <= len(lines):
        return f"line {line_no} is not in the reference"
    line = lines[line_no - 1]
    node: Json = None
    if kind == "rule":
        try:
            node = _at(document, pointer.rsplit("/", 1)[0])
        except (KeyError, IndexError, ValueError):
            node = None
    fields = {name} if kind == "default" and name else set()
    names = value_names(document, pointer) if kind == "value" else None
    if not role(kind, token, line, fields, node, names):
        return f"line {line_no} does not show {token!r} as a {kind}: {line.strip()!r}"
    section = sources.section_at(line_no)
    if section is None:
        return f"line {line_no} is before the first section"
    side = None if kind == "id prefix" else line_side(lines, line_no)  # a key goes both ways
    ops = operations_of(document, pointer, side)
    if ALL not in section.operations and not ops & set(section.operations):
        return (f"line {line_no} ({side or 'prose'}) is in §{section.title}, which documents "
                f"{', '.join(section.operations) or 'no operation'}, not "
                f"{', '.join(sorted(ops)) or 'this item'}")
    return None


def field_names(document: JsonObject) -> set[str]:
    """Every property name and parameter name of the spec."""
    out: set[str] = set()

    def walk(node: Json) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict):
                out.update(map(str, node["properties"]))
            if isinstance(node.get("name"), str) and "in" in node:
                out.add(node["name"])
            for key, value in node.items():
                if key not in ("examples", "example"):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return out
