"""Where a vendor's reference shows each item of the ledger: the citation tables beside the
specs (``openapi/sources/<api>.yaml``) and the check that a citation means what it claims.

A table names the reference (file, title, public URL), its sections (each title a whole line
of the reference, with the line it stands on and the operations it documents) and, for every
item counted as shown, the line that shows it::

    cites:
      /components/schemas/JobCreate/properties/type: {type: 40}
      /components/schemas/JobType/enum: {empty-room: 32, virtual-stage: 32}

(a JSON pointer of :func:`ledger.items`, then token → line). The section of a cited line is
the last section starting at or before it.

:func:`meaning` is what ``tests/spec/test_ledger.py`` holds every citation to: the line shows
the token *in the role of the item's kind* (a field as a JSON key or a named field, a value as
a string value or in a list of values, a status beside its operation or in the errors list, a
limit in a limit phrase, a path segment in a path), and the line's section documents one of
the operations the item belongs to (:func:`operations_of`). A word that merely occurs (the
chat's "message", "integration code", the heading "1. Create a Project") is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

import yaml

from ..jsontypes import Json, JsonObject
from .guesses import GUESS, GUESS_KEYWORDS
from .loader import HTTP_METHODS, resolve


class _Token(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def token(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def pointer(self) -> str: ...
    @property
    def mark(self) -> tuple[str, str] | None: ...


DOCUMENTED = "x-stagemock-documented"
#: Every operation of the API (a section that documents all of them: an endpoint table).
ALL = "*"


@dataclass(frozen=True)
class Section:
    title: str
    line: int
    operations: tuple[str, ...]


@dataclass(frozen=True)
class Sources:
    """One API's citation table (see the module's docstring)."""

    file: str
    title: str
    url: str
    sections: tuple[Section, ...]
    cites: dict[tuple[str, str], int] = field(hash=False)

    def section_at(self, line: int) -> Section | None:
        found = None
        for section in self.sections:
            if section.line <= line:
                found = section
        return found

    def line_of(self, pointer: str, token: str) -> int | None:
        return self.cites.get((pointer, token))

    def source(self, pointer: str, token: str) -> str | None:
        """``"<file> §<section> (line N)"`` for a cited item, else ``None``."""
        line = self.line_of(pointer, token)
        if line is None:
            return None
        section = self.section_at(line)
        return f"{self.file} §{section.title if section else '?'} (line {line})"

    def documented(self, section: str) -> str:
        """An ``x-stagemock-documented: <section>`` mark as a source."""
        return f"{self.file} §{section}"


def parse(data: JsonObject) -> Sources:
    ref = data["reference"]
    sections = tuple(Section(str(s["title"]), int(s["line"]), tuple(map(str, s["operations"])))
                     for s in data.get("sections") or [])
    cites: dict[tuple[str, str], int] = {}
    for where, tokens in (data.get("cites") or {}).items():
        for token, line in tokens.items():
            cites[str(where), _token(token)] = int(line)
    return Sources(str(ref["file"]), str(ref["title"]), str(ref["url"]), sections, cites)


def _token(value: Json) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


@cache
def load_sources(api: str) -> Sources:
    """The citation table of ``"stagepro"`` or ``"stagerai"`` (``openapi/sources/<api>.yaml``,
    packaged with the specs)."""
    from ..resources import data_dir

    path = data_dir("openapi") / "sources" / f"{api}.yaml"
    return parse(yaml.safe_load(path.read_text()))


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
        return bool(re.search(rf"(?<!/)/{t}(?![a-z0-9_\-])|{w} webhook\b", line)) or _listed(token, line)
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
        names = [n for alt in node.get(token) or [] if isinstance(alt, dict)
                 for n in alt.get("required") or []]
        named = [n for n in names if re.search(_w(n), line)]
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


# ------------------------------------------------------------------ marks of the item itself
def _node(document: JsonObject, ptr: str) -> Json:
    node: Json = document
    for part in ptr.strip("/").split("/") if ptr != "/" else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and "$ref" in node and part not in node:
            node = resolve(document, node)
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def own_mark(document: JsonObject, item: _Token) -> tuple[str, str] | None:
    """The mark written on the item itself, not on what encloses it: on a field's,
    parameter's, header's or response's own node (or the object schema a field refers to, when
    that whole shape is marked), ``x-stagemock-guess-keywords`` for the keyword of a
    ``required`` list, a limit, a default, an id prefix or a rule, ``path`` for a path's
    segments, and the error body's ``code`` mark for an error code. The values of an ``enum``
    have none: a keyword mark on ``enum`` is about the list (which values exist beyond those the
    reference shows), so a cited value is documented and the others take the list's mark."""
    if item.kind == "error code":
        return item.mark
    try:
        parent = _node(document, item.pointer.rsplit("/", 1)[0] or "/")
        node = _node(document, item.pointer)
    except (KeyError, IndexError, ValueError, TypeError):
        return None
    keyword = item.pointer.rsplit("/", 1)[-1]
    if item.kind == "value":
        return None
    if item.kind in ("required", "default", "limit", "id prefix", "rule"):
        local = parent.get(GUESS_KEYWORDS) if isinstance(parent, dict) else None
        if isinstance(local, dict) and isinstance(local.get(keyword), str):
            return ("guess", local[keyword])
        return None
    if item.kind == "path":
        local = node.get(GUESS_KEYWORDS) if isinstance(node, dict) else None
        if isinstance(local, dict) and isinstance(local.get("path"), str):
            return ("guess", local["path"])
    if item.kind == "parameter":
        node = parent
    for candidate in (node, resolve(document, node) if isinstance(node, dict) else None):
        if not isinstance(candidate, dict):
            continue
        if candidate is not node and item.kind == "field" and "properties" not in candidate:
            break
        if isinstance(candidate.get(GUESS), str):
            return ("guess", candidate[GUESS])
        if isinstance(candidate.get(DOCUMENTED), str):
            return ("documented", candidate[DOCUMENTED])
    return None


# ------------------------------------------------------------------ matching the reference
def _word(token: str) -> re.Pattern[str]:
    """``token`` as a whole identifier or number: not inside a longer word, ``_`` and ``-``
    counting as word characters (``job_`` is not shown by ``job_ids``, nor ``12345`` by
    ``MLS-12345``); a dot or a slash around it is a boundary (``input.listing_tool``,
    ``/api/v1/jobs``), a dot followed by a digit is not (``1`` is not in ``1.5``)."""
    return re.compile(r"(?<![\w\-])" + re.escape(token) + r"(?![\w\-]|\.\d)")


def shown(item: _Token, reference: str) -> bool:
    """Whether the reference shows ``item``'s token. A default is shown only by a line of the
    reference that names the field, says ``default(s)`` and gives the value (``auto_render
    defaults to false``); every other token by its own occurrence (:func:`_word`)."""
    reference = reference.replace("\\n", "\n")  # a line break the page shows escaped
    if item.kind != "default":
        return bool(_word(item.token).search(reference))
    value = json.loads(item.token)
    values = [_token(v) for v in value] if isinstance(value, list) else [_token(value)]
    name = item.name or ""
    for line in reference.splitlines():
        if (name and _word(name).search(line) and re.search(r"\bdefaults?\b", line)
                and values and all(_word(v).search(line) for v in values)):
            return True
    return False
