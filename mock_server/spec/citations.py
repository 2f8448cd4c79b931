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

``citation_check.meaning`` is what ``tests/spec/test_ledger.py`` holds every citation to:
the line shows the token *in the role of the item's kind* (a field as a JSON key or a named
field, a value as a string value or in a list of values, a status beside its operation or in
the errors list, a limit in a limit phrase, a path segment in a path), on the item's side
(request or response), and the line's section documents one of the operations the item belongs
to. A word that merely occurs (the chat's "message", "integration code", the heading "1.
Create a Project") is refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

import yaml

from ..jsontypes import Json, JsonObject
from .guesses import GUESS, GUESS_KEYWORDS
from .loader import resolve


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
