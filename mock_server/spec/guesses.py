"""Documented vs guessed: which rules of a vendor spec the vendor's reference does not state.

A spec marks a guess in one of three ways:

- ``x-stagemock-guess: <why>`` on a schema, parameter schema, response or header: every rule
  that node states, and every rule below it, is a guess — except ``type`` (the JSON type of a
  value follows the reference's own examples). A ``$ref`` is not followed for this: a guess
  covers what is written under it, so a referenced schema carries its own mark.
- ``x-stagemock-guess-keywords: {<keyword>: <why>}`` on a schema: only those keywords of that
  schema are guesses (e.g. ``required`` of a request whose required fields the reference
  never lists).
- ``x-stagemock-guess-keywords: {<keyword>: <why>}`` at the root of the document: that keyword
  is a guess wherever it constrains (``additionalProperties: false``, the strict request
  bodies, is marked once this way).

Validation (``validation.describe_errors``) walks the failing keyword's schema path with
:func:`guess_at`: a violation of a guessed rule carries ``"guess": <why>`` and its message
ends with :data:`SUFFIX`. ``stagemock serve --lenient`` lets such requests through, and
``stagemock check`` reports a server that disagrees only with guesses apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..jsontypes import Json, JsonObject
from .loader import resolve

GUESS = "x-stagemock-guess"
GUESS_KEYWORDS = "x-stagemock-guess-keywords"
SUFFIX = "(an undocumented rule of this mock; the real API may accept it)"
#: Never covered by a subtree guess: the JSON type of a value.
NEVER_GUESSED = frozenset({"type"})


def guess_at(document: JsonObject, root: Json, path: Sequence[str | int]) -> str | None:
    """The reason of the guess that the keyword at ``path`` (the last element, e.g.
    ``["components", "schemas", "Style", "enum"]`` or ``["properties", "limit", "maximum"]``
    relative to ``root``) falls under, or ``None`` when the rule is documented."""
    if not path:
        return None
    keyword = path[-1]
    node: Json = document if path[0] == "components" else root
    innermost: str | None = None
    parent: Json = None
    for part in path:
        if isinstance(node, dict) and "$ref" in node and part != "$ref" and part not in node:
            node = resolve(document, node)
        if isinstance(node, dict) and isinstance(node.get(GUESS), str):
            innermost = node[GUESS]
        if part == "$ref":
            node = resolve(document, node)
            continue
        parent = node
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, TypeError, ValueError):
            return None
    if isinstance(parent, dict):
        local = parent.get(GUESS_KEYWORDS)
        if isinstance(local, dict) and isinstance(local.get(keyword), str):
            return local[keyword]
    if isinstance(keyword, str) and keyword not in NEVER_GUESSED and innermost is not None:
        return innermost
    if keyword == "additionalProperties" and node is not False:
        return None  # a schema for extra properties, not a strictness rule
    everywhere = document.get(GUESS_KEYWORDS)
    if isinstance(everywhere, dict) and isinstance(everywhere.get(keyword), str):
        return everywhere[keyword]
    return None


def mark(violation: JsonObject, why: str | None) -> JsonObject:
    """A violation of a guessed rule: its message says so and it names the guess."""
    if why is None:
        return violation
    out = dict(violation)
    if not out["message"].endswith(SUFFIX):
        out["message"] = f"{out['message']} {SUFFIX}"
    out["guess"] = why
    return out


def all_guesses(document: JsonObject) -> list[tuple[str, str | None, str]]:
    """Every ``(json pointer of the marked node, keyword or None, why)`` in the document, in
    document order (``keyword``: an ``x-stagemock-guess-keywords`` entry)."""
    out: list[tuple[str, str | None, str]] = []

    def walk(node: Json, pointer: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get(GUESS), str):
                out.append((pointer or "/", None, node[GUESS]))
            local = node.get(GUESS_KEYWORDS)
            if isinstance(local, dict):
                for key, why in local.items():
                    out.append((pointer or "/", str(key), str(why)))
            for key, value in node.items():
                if key in (GUESS, GUESS_KEYWORDS):
                    continue
                walk(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{pointer}/{i}")

    walk(document, "")
    return out
