"""The ledger part of ``docs/FIDELITY.md`` (``fidelity.py`` writes the rest): per API, the
ledger's items counted by kind and class (cited by the reference, documented by section,
guessed), and every ``x-stagemock-documented`` mark with the tokens it documents."""

from __future__ import annotations

from ..jsontypes import JsonObject
from . import ledger
from .citation_check import _at


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")

def _cited(mark: tuple[str, str] | None) -> bool:
    return mark is not None and mark[0] == "documented" and mark[1].endswith(")") \
        and "(line " in mark[1]


def ledger_section(name: str, document: JsonObject) -> list[str]:
    """Counts of the ledger (``spec/ledger.py``, with the citation table
    ``openapi/sources/<name>.yaml``) by kind and class, and every ``x-stagemock-documented``
    mark with the tokens it documents."""
    sources = ledger.load_sources(name)
    found = ledger.items(document, sources)
    lines = ["### Ledger: every name, value and rule", "",
             "Every token the spec states (path segments, parameter and header names, fields, "
             "required names, enum and const values, defaults, id prefixes, limits, statuses, "
             "error codes) and every structural rule (`additionalProperties: false`, "
             "`oneOf` / `anyOf` / `not`, formats, patterns) is in one of three classes: "
             f"*cited* (`openapi/sources/{name}.yaml` names the line of the reference that "
             "shows it, held to its meaning by `tests/spec/test_ledger.py`), *documented by "
             "section* (the reference states the rule in words: `x-stagemock-documented` names "
             "its section) or *guessed* (`x-stagemock-guess`, listed above). An enum's values "
             "are counted one by one: the values the reference shows are cited, the others "
             "take the enum's guess.", "",
             "| kind | walked | cited | documented by section | guessed |",
             "|---|---|---|---|---|"]
    totals = [0, 0, 0, 0]
    for kind in ledger.KINDS:
        of_kind = [i for i in found if i.kind == kind]
        if not of_kind:
            continue
        row = [len(of_kind), sum(_cited(i.mark) for i in of_kind),
               sum(i.mark is not None and i.mark[0] == "documented" and not _cited(i.mark)
                   for i in of_kind),
               sum(i.mark is not None and i.mark[0] == "guess" for i in of_kind)]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        lines.append(f"| {kind} | " + " | ".join(map(str, row)) + " |")
    lines.append("| **all** | " + " | ".join(f"**{n}**" for n in totals) + " |")
    lines += ["", "### Documented by section (`x-stagemock-documented`)", "",
              "Rules the reference states in words rather than tokens; each mark names the "
              "section of the reference that states it.", "",
              "| where | section | tokens |", "|---|---|---|"]
    marks: dict[str, tuple[str, list[str]]] = {}
    for where, section in ledger.documented_marks(document):
        marks[where] = (section, [])
    for item in found:
        if item.mark and item.mark[0] == "documented" and not _cited(item.mark):
            for where, (section, tokens) in marks.items():
                if sources.documented(section) == item.mark[1] and (item.pointer == where
                                                or item.pointer.startswith(where + "/")
                                                or _refers(document, item.pointer, where)):
                    if item.token not in tokens:
                        tokens.append(item.token)
                    break
    for where, (section, tokens) in marks.items():
        shown = ", ".join(f"`{_cell(t)}`" for t in tokens) or (
            "the rule its description states" if where.endswith(" (description)") else "—")
        lines.append(f"| `{_cell(where)}` | {_cell(section)} | {shown} |")
    if not marks:
        lines.append("| — | — | — |")
    return lines + [""]


def _refers(document: JsonObject, pointer: str, target: str) -> bool:
    """Whether the node at ``pointer`` is a ``$ref`` to ``target`` (a shared response)."""
    try:
        node = _at(document, pointer)
    except (KeyError, IndexError, ValueError):
        return False
    return isinstance(node, dict) and node.get("$ref") == "#" + target
