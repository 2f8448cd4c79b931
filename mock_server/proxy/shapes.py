"""Comparing two answers by shape, as the spec sees them (pure): status, error code, fields
present or absent, JSON types, enum values. Volatile values (ids, times, URLs, signatures)
are never compared. Each difference says whether the rule behind it is documented, a guess
of this mock (with its reason), or something the spec does not describe at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

from ..jsontypes import Json, JsonObject
from ..spec.loader import resolve
from ..spec.rules import UNCOVERED, UNSPECIFIED, Verdict, rulebook

#: An object whose recorded ``status`` is one of these has finished its asynchronous work:
#: a replay polls until the new answer says the same.
TERMINAL = frozenset({"completed", "failed", "succeeded", "canceled", "cancelled", "active",
                      "verification_failed", "expired", "ready"})


class Rule(TypedDict, total=False):
    """What a difference's rule is (``Difference``'s fields of the same names)."""

    rule: str
    guess: str | None
    source: str
    pointer: str


@dataclass
class Difference:
    kind: str  # status | error_code | missing | extra | type | enum | no_answer
    where: str  # "status", "body.output.images[0].url"...
    #: the recorded and the new JSON value (or their JSON types, or the statuses)
    expected: Json
    got: Json
    #: documented | guess | unspecified
    rule: str = "documented"
    guess: str | None = None
    #: documented: where a reference states the rule
    source: str | None = None
    #: where in the spec the rule is (a JSON pointer), when known
    pointer: str | None = None
    #: filled in by the caller
    seq: int = 0
    operation_id: str | None = None
    request: str = ""
    curl: str = ""
    extra: JsonObject = field(default_factory=dict)

    def as_json(self) -> JsonObject:
        return {"seq": self.seq, "operation_id": self.operation_id, "request": self.request,
                "kind": self.kind, "where": self.where, "expected": self.expected,
                "got": self.got, "rule": self.rule, "guess": self.guess, "source": self.source,
                "pointer": self.pointer, "curl": self.curl}


def json_type(value: Json) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class SchemaWalker:
    """Finds the schema that describes a place in a JSON document; ``book`` (the spec's
    ``RuleBook``) says what each rule there rests on."""

    def __init__(self, document: JsonObject) -> None:
        self.document = document
        self.book = rulebook(document)

    def child(self, schema: Json, key: str | int, value: Json = None) -> Json:
        """The schema of ``key`` (a property name or an array index) under ``schema``."""
        for node in self.branches(schema, value):
            if isinstance(key, int):
                if isinstance(node, dict) and "items" in node:
                    return resolve(self.document, node["items"])
            elif isinstance(node, dict):
                props = node.get("properties") or {}
                if key in props:
                    return resolve(self.document, props[key])
                extra = node.get("additionalProperties")
                if isinstance(extra, dict):
                    return resolve(self.document, extra)
        return None

    def branches(self, schema: Json, value: Json = None) -> list[Json]:
        """The schema and what it is made of (``allOf``; the ``oneOf``/``anyOf`` branches,
        those whose ``const`` discriminators fit ``value`` first)."""
        schema = resolve(self.document, schema)
        if not isinstance(schema, dict):
            return []
        out = [schema]
        for sub in schema.get("allOf", ()):
            out += self.branches(sub, value)
        for key in ("oneOf", "anyOf"):
            options = [resolve(self.document, b) for b in schema.get(key, ())]
            fitting = [b for b in options if self._fits(b, value)]
            for b in fitting + [b for b in options if b not in fitting]:
                out += self.branches(b, value)
        return out

    def _fits(self, branch: Json, value: Json) -> bool:
        if not isinstance(branch, dict) or not isinstance(value, dict):
            return False
        for name, prop in (branch.get("properties") or {}).items():
            prop = resolve(self.document, prop)
            if isinstance(prop, dict) and "const" in prop and value.get(name) != prop["const"]:
                return False
        return True

    def enum_holder(self, schema: Json, value: Json = None) -> JsonObject | None:
        """The schema node whose ``enum`` or ``const`` constrains a value of ``schema``."""
        for node in self.branches(schema, value):
            if isinstance(node, dict) and ("enum" in node or "const" in node):
                return node
        return None

    def lists(self, schema: Json, key: str, value: Json = None) -> bool:
        return any(isinstance(n, dict) and key in (n.get("properties") or {})
                   for n in self.branches(schema, value))


def _rule(verdict: Verdict) -> Rule:
    out: Rule = {"rule": verdict.rule, "guess": verdict.guess}
    if verdict.source:
        out["source"] = verdict.source
    return out


def compare(walker: SchemaWalker, schema: Json, expected: Json, got: Json, where: str = "body",
            here: Verdict | None = None) -> list[Difference]:
    """Shape differences between the recorded value (``expected``) and the new one, each
    with the verdict of the rule behind it (``spec.rules``): a value's type is its field's
    rule (``here``: the field's verdict, or the status's for the body itself); a field that
    either answer lacks is the rule that requires it (``unspecified`` when nothing does: a
    field the spec does not list, or lists as optional); an enum value is its values' rule."""
    out: list[Difference] = []
    book = walker.book
    here = here or Verdict(UNSPECIFIED)
    if json_type(expected) != json_type(got) and not (
            {json_type(expected), json_type(got)} <= {"integer", "number"}):
        out.append(Difference("type", where, json_type(expected), json_type(got),
                              **_rule(here if schema is not None else Verdict(UNSPECIFIED))))
        return out
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in expected:
            sub = walker.child(schema, key, expected)
            path = f"{where}.{key}"
            if key not in got:
                required = book.required(schema, key) if schema is not None else UNCOVERED
                out.append(Difference("missing", path, json_type(expected[key]), None,
                                      **_rule(required)))
            else:
                out += compare(walker, sub, expected[key], got[key], path,
                               book.field(schema, key) if schema is not None else UNCOVERED)
        for key in got:
            if key not in expected:  # the recorded answer lacks it: the rule requiring it
                required = book.required(schema, key) if schema is not None else UNCOVERED
                out.append(Difference("extra", f"{where}.{key}", None, json_type(got[key]),
                                      **_rule(required)))
    elif isinstance(expected, list) and isinstance(got, list):
        if expected and got:
            sub = walker.child(schema, 0)
            out += compare(walker, sub, expected[0], got[0], f"{where}[0]", here)
    elif isinstance(expected, str) and schema is not None:
        holder = walker.enum_holder(schema)
        if holder is not None and expected != got:
            if where.endswith(".status") and expected not in TERMINAL:
                return out  # a moment of asynchronous work, not a rule
            out.append(Difference("enum", where, expected, got,
                                  **_rule(book.enum_difference(holder, expected, got))))
    return out
