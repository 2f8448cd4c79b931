"""The spec edits a drift proposes, each proven before it is printed: applied to a copy of the
spec in memory, the recorded answer (the real service's) is validated against it again, and
the edit is printed only when the spec did not describe that answer before and does after.
A difference the spec already allows (``started_at`` is nullable; 402 is documented for the
operation) asks for no spec edit: there the mock, not the spec, answers otherwise, and the
report says so apart.

How each kind of difference is edited (``shapes.Difference.kind``):

- ``status``: the recorded status becomes one the operation declares (a guessed status of
  the same class renamed to it, "make it 200"; else a new response beside the mock's,
  "document 418");
- ``type``: the field's schema allows the recorded JSON type too;
- ``enum``: the recorded value joins the values;
- ``missing`` (the service sends a field the mock does not): a field the schema does not list
  is added with the recorded type;
- ``extra`` (the mock sends a field the service does not): a required field stops being
  required;
- ``error_code``: a code the spec's error table lacks is added to it (the table is prose:
  proven by the rule book knowing the code, not by a schema).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..jsontypes import Json, JsonObject
from ..spec.loader import resolve
from ..spec.rules import UNSPECIFIED, rulebook
from ..spec.validation import schema_errors
from .shapes import Difference, SchemaWalker, json_type

Path = tuple[str | int, ...]
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


class _Walker(SchemaWalker):
    """A ``SchemaWalker`` over a copy of a spec, without the rule book (never asked here)."""

    def __init__(self, document: JsonObject) -> None:  # noqa: D107 - no rule book
        self.document = document


def place(where: str) -> Path:
    """``body.output.images[0].url`` → ``("output", "images", 0, "url")``."""
    return tuple(int(m.group(2)) if m.group(2) else m.group(1)
                 for m in _STEP.finditer(where.removeprefix("body")))


@dataclass
class Answer:
    """The recorded answer a difference is about."""

    operation_id: str
    status: int
    media: str
    body: Json


def _operation(document: JsonObject, operation_id: str) -> JsonObject | None:
    for item in (document.get("paths") or {}).values():
        for op in resolve(document, item).values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op
    return None


def _responses(document: JsonObject, answer: Answer) -> JsonObject:
    op = _operation(document, answer.operation_id) or {}
    found = op.setdefault("responses", {})
    return found if isinstance(found, dict) else {}


def _declared(document: JsonObject, answer: Answer) -> JsonObject | None:
    responses = _responses(document, answer)
    code = str(answer.status)
    found = responses.get(code) or responses.get(f"{code[0]}XX") or responses.get("default")
    return resolve(document, found) if isinstance(found, dict) else None


def _schema(document: JsonObject, answer: Answer) -> Json:
    response = _declared(document, answer) or {}
    content = response.get("content") or {}
    found = content.get(answer.media) or content.get("application/json")
    return found.get("schema") if isinstance(found, dict) else None


def _node(document: JsonObject, answer: Answer, where: Path) -> tuple[Json, Json]:
    """The schema of the field at ``where`` and of the object holding it (``None``: not
    listed)."""
    walker = _Walker(document)
    schema, parent, value = _schema(document, answer), None, answer.body
    for step in where:
        parent = schema
        schema = walker.child(schema, step, value) if schema is not None else None
        value = _at(value, step)
    return schema, parent


def _at(value: Json, step: str | int) -> Json:
    if isinstance(step, int):
        return value[step] if isinstance(value, list) and len(value) > step else None
    return value.get(step) if isinstance(value, dict) else None


def problems(document: JsonObject, answer: Answer, where: Path, kind: str) -> list[str]:
    """What the spec finds wrong with the recorded answer at ``where``: an undeclared status,
    schema errors at or under the field (or its being required), or (``missing``) the field
    not being listed at all."""
    if _declared(document, answer) is None:
        return [f"{answer.status} is not declared"]
    if kind == "status":
        return []
    schema = _schema(document, answer)
    out: list[str] = []
    if isinstance(schema, dict) and answer.body is not None:
        for err in schema_errors(document, schema, answer.body):
            path = tuple(err.instance_path)
            required = type(err.kind).__name__ == "Required" and where and \
                path == where[:-1] and f'"{where[-1]}"' in err.message
            if path[:len(where)] == where or required:
                out.append(err.message)
    if kind == "missing" and where and _node(document, answer, where)[0] is None:
        out.append(f"`{where[-1]}` is not listed")
    return out


@dataclass
class Proposal:
    text: str
    apply: Callable[[JsonObject], None]


def _allow_type(node: Json, kind: str) -> None:
    if not isinstance(node, dict):
        return
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        node["type"] = [*types, kind]
    else:
        old = dict(node)
        node.clear()
        node["anyOf"] = [old, {"type": kind}]


def _allow_value(node: Json, value: Json) -> None:
    holder = _Walker({}).enum_holder(node) if isinstance(node, dict) else None
    if holder is None and isinstance(node, dict):
        holder = node
    if isinstance(holder, dict):
        values = holder.pop("enum", None) or ([holder.pop("const")] if "const" in holder
                                              else [])
        holder["enum"] = [*values, value]


def proposal(d: Difference, answer: Answer, text: str) -> Proposal | None:
    """How to apply the edit ``text`` says (``None``: no schema edit for this kind)."""
    where = place(d.where)
    if d.kind == "status":
        def status(doc: JsonObject) -> None:
            responses = _responses(doc, answer)
            mine = responses.get(str(d.got))
            same_class = str(d.got)[:1] == str(d.expected)[:1]
            if d.rule == "guess" and same_class and mine is not None:
                responses[str(d.expected)] = responses.pop(str(d.got))
            else:
                responses[str(d.expected)] = (copy.deepcopy(mine) if same_class and mine
                                              else {"description": "as the service answers"})
        return Proposal(text, status)
    if d.kind in ("type", "enum"):
        def field(doc: JsonObject) -> None:
            node = _node(doc, answer, where)[0]
            if d.kind == "type":
                _allow_type(node, str(d.expected))
            else:
                _allow_value(node, d.expected)
        return Proposal(text, field)
    if d.kind == "missing":
        def listed(doc: JsonObject) -> None:
            parent = _node(doc, answer, where)[1]
            for branch in _Walker(doc).branches(parent):
                if isinstance(branch, dict) and branch.get("type", "object") == "object":
                    branch.setdefault("properties", {})[where[-1]] = {
                        "type": json_type(_at_path(answer.body, where))}
                    return
        return Proposal(text, listed)
    if d.kind == "extra":
        def optional(doc: JsonObject) -> None:
            parent = _node(doc, answer, where)[1]
            for branch in _Walker(doc).branches(parent):
                if isinstance(branch, dict) and where[-1] in (branch.get("required") or ()):
                    branch["required"] = [n for n in branch["required"] if n != where[-1]]
        return Proposal(text, optional)
    return None


def _at_path(value: Json, where: Path) -> Json:
    for step in where:
        value = _at(value, step)
    return value


def proven(d: Difference, answer: Answer, document: JsonObject,
           text: str) -> tuple[bool, str]:
    """Whether the edit ``text`` is printed: (printed, why not). Applied to a copy of
    ``document``, the recorded answer must go from undescribed to described."""
    if d.kind == "error_code":
        if rulebook(document).error_code(str(d.expected)).rule != UNSPECIFIED:
            return False, "the spec's error table lists it"
        return True, ""
    where = place(d.where)
    kind = "status" if d.kind == "status" else d.kind
    before = problems(document, answer, where, kind)
    if not before:
        return False, "the spec already allows the recorded answer there"
    found = proposal(d, answer, text)
    if found is None:
        return False, "no spec edit describes it"
    edited = copy.deepcopy(document)
    found.apply(edited)
    after = problems(edited, answer, where, kind)
    if after:
        return False, "the edit does not make the recorded answer valid: " + "; ".join(after)
    return True, ""
