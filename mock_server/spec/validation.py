"""Compiled request validation. Every validator is built once, at startup, with jsonschema-rs
(formats on); a request only runs the compiled code."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import jsonschema_rs

from ..jsontypes import Json, JsonObject
from .choices import alternatives, distinct, tagged_branches, through_cases
from .guesses import guess_at
from .guesses import mark as mark_guess
from .loader import Operation, Parameter, resolve, schema_node
from .rules import GUESS, Verdict, rulebook

if TYPE_CHECKING:
    from .body import SizeRule

JSON_TYPES = ("application/json",)


def _compile(document: JsonObject, schema: JsonObject) -> jsonschema_rs.Validator:
    root = dict(schema)
    root["components"] = document.get("components", {})
    return jsonschema_rs.Draft202012Validator(root, validate_formats=True)


def schema_errors(document: JsonObject, schema: JsonObject, instance: Json
                  ) -> list[jsonschema_rs.ValidationError]:
    """``schema``'s errors on ``instance``, a choice by case read as the branch its value
    picks (:func:`.choices.through_cases`: a completed job's ``output``, not the ``oneOf``)."""
    return through_cases(document, schema, list(_compile(document, schema).iter_errors(instance)))


def _field(prefix: str, path: Sequence[str | int]) -> str:
    out = prefix
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return out


class _KindFields(Protocol):
    """What ``describe_errors`` reads off a jsonschema-rs error kind. Each attribute is on one
    kind only (``Type``: ``types``; ``Required``: ``property``; ``AdditionalProperties``:
    ``unexpected``), read after the kind's class name says which: a test mypy cannot follow,
    hence the one ``type: ignore`` where the kind is taken."""

    types: list[str]
    property: str
    unexpected: list[str]
    context: list[list[jsonschema_rs.ValidationError]]


#: A value longer than this is cut short where a message repeats it (a 2,000-character
#: prompt over its limit is named by its start and its length, not printed whole).
SHOWN_CHARS = 60


def _shortened(message: str, instance: object) -> str:
    """jsonschema-rs's message with a long string value it quotes cut to its start."""
    if not isinstance(instance, str) or len(instance) <= SHOWN_CHARS:
        return message
    quoted = json.dumps(instance, ensure_ascii=False)
    short = json.dumps(instance[:SHOWN_CHARS], ensure_ascii=False)[:-1]
    return message.replace(quoted, f"{short}…\" ({len(instance)} characters)")


def describe_errors(
    document: JsonObject, root: JsonObject, errors: list[jsonschema_rs.ValidationError],
    prefix: str = "", request: bool = True, body: Verdict | None = None,
) -> list[JsonObject]:
    """jsonschema-rs errors → ``[{"field", "message", "rule", ...}]`` naming the offending
    field, each with the verdict of the rule it breaks (``rules.RuleBook.violation``:
    ``rule`` and ``source`` or ``guess``); a guess also says so in its message. ``request``:
    a request's errors (else an answer's, ``body`` the verdict of its status)."""
    book = rulebook(document)
    out = []
    errors = through_cases(document, root, errors)
    if len(errors) > 1:
        # "unevaluated properties" is only a consequence of another branch failing
        errors = [e for e in errors if type(e.kind).__name__ != "UnevaluatedProperties"] or errors
    mistyped = {
        tuple(e.instance_path) for e in errors if type(e.kind).__name__ == "Type"
    }
    for err in errors:
        kind: _KindFields = err.kind  # type: ignore[assignment]  # see _KindFields
        path = list(err.instance_path)
        name = type(kind).__name__
        message = _shortened(err.message, err.instance)
        verdict = book.violation(root, list(err.schema_path), name,
                                 kind.property if name == "Required" else None, request, body,
                                 err.instance)
        if name == "Type":
            message = _type_message(list(kind.types), err.instance)
        elif name == "Required":
            path.append(kind.property)
            message = "is required"
        elif name == "AdditionalProperties":
            for extra in kind.unexpected:
                out.append(
                    _judged(
                        {
                            "field": _field(prefix, path + [extra]),
                            "message": "is not a known field (request bodies are strict)"
                            if request else "is a field the spec does not list",
                        },
                        verdict, name, request,
                    )
                )
            continue
        elif name in ("OneOfNotValid", "OneOfMultipleValid", "AnyOf"):
            branches = list(getattr(kind, "context", None) or []) if request else []
            if branches and name != "OneOfMultipleValid":
                tagged = tagged_branches(branches, path, errors)
                if tagged is not None:  # the branches the request's tag picks (or none)
                    asked = [describe_errors(document, root, b, prefix, request, body)
                             for b in tagged]
                    if len(asked) > 1 and all(asked):
                        out.append(_judged(alternatives(asked), verdict, name, request))
                    else:
                        out.extend(v for a in asked for v in a)
                    continue
            choice = schema_node(document, root, list(err.schema_path)[:-1])
            given = err.instance
            tag = book.resembled_tag(choice, str(err.schema_path[-1]), given) \
                if isinstance(choice, dict) and isinstance(given, dict) else None
            if tag is not None and isinstance(given, dict):  # one branch, a wrong tag: say so
                tag_name, wanted, _ = tag
                message = (f"is {given.get(tag_name)!r}: with its other fields this is "
                           f"the {wanted!r} answer, whose `{tag_name}` is {wanted!r}")
                out.append(_judged({"field": _field(prefix, path + [tag_name]),
                                    "message": message}, verdict, name, request))
                continue
            required = _one_of_required(document, root, list(err.schema_path))
            if required and not isinstance(err.instance, dict):
                # `required` holds only for objects: a string `input` passes every branch
                # ("give only one of" would be false); say what it is instead
                if tuple(path) in mistyped:
                    continue  # the type error says it
                message = _type_message(["object"], err.instance)
                out.append(_judged({"field": _field(prefix, path) or None, "message": message},
                               verdict, name, request))
                continue
            if required and all(len(r) == 1 for r in required):
                # a choice between fields names every field of the choice
                fields = [_field(prefix, path + r) for r in required]
                message = _choice_message([f"`{f}`" for f in fields], name)
                out.append(_judged({"field": fields, "message": message}, verdict, name,
                                   request))
                continue
            if required:
                message = _choice_message([" + ".join(r) for r in required], name)
        elif name == "FalseSchema" and request:
            message = "is not allowed here"  # a `false` schema: a field a branch forbids
        elif name == "Enum":
            allowed = schema_node(document, root, list(err.schema_path))
            if isinstance(allowed, list):
                message = "must be one of: " + ", ".join(
                    "null" if v is None else str(v) for v in allowed)
        out.append(_judged({"field": _field(prefix, path) or None, "message": message},
                               verdict, name, request))
    return distinct(out)


def _judged(violation: JsonObject, verdict: Verdict, kind: str,
            request: bool = True) -> JsonObject:
    """A violation with its verdict. A request's guessed rule says so in its message (the
    real API may accept the request); an answer's verdict is in its fields alone. A
    request's wrong JSON type is never let through by ``--lenient`` (a handler could not read
    the value): its ``keyword`` says so."""
    guessed = verdict.rule == GUESS and request
    out = mark_guess(violation, verdict.guess) if guessed else dict(violation)
    out.update(verdict.fields())
    if kind == "Type":
        out["keyword"] = "type"
    return out


_ARTICLE = {"object": "an object", "array": "an array", "string": "a string",
            "integer": "an integer", "number": "a number", "boolean": "a boolean",
            "null": "null"}


def _json_kind(value: Json) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _type_message(types: list[str], value: Json) -> str:
    """``must be an object, not a string``: what was expected and what came."""
    wanted = " or ".join(_ARTICLE.get(t, t) for t in types)
    return f"must be {wanted}, not {_json_kind(value)}"


def _one_of_required(
    document: JsonObject, root: JsonObject, schema_path: Sequence[str | int]
) -> list[list[Json]] | None:
    """The ``required`` list of each branch of a ``oneOf``/``anyOf`` (as the spec writes it:
    field names), else None (a branch that requires nothing)."""
    branches = schema_node(document, root, schema_path)
    if not isinstance(branches, list):
        return None
    out = []
    for branch in branches:
        branch = resolve(document, branch)
        if not isinstance(branch, dict) or not branch.get("required"):
            return None
        out.append(list(branch["required"]))
    return out


def _choice_message(names: list[str], kind: str) -> str:
    if kind == "OneOfMultipleValid":
        return f"give only one of: {', '.join(names)}"
    return f"exactly one of {', '.join(names)} is required"


def coerce(value: str | list[str], schema: JsonObject) -> Json:
    """Query/path/header strings → the type the schema declares (left alone when they
    do not parse, so the validator names the field)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "array":
        items = value if isinstance(value, list) else str(value).split(",")
        return [coerce(v, schema.get("items", {})) for v in items]
    if isinstance(value, list):
        value = value[-1]
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean":
        return {"true": True, "false": False}.get(value.lower(), value)
    return value


@dataclass
class ParamGroup:
    location: str
    params: tuple[Parameter, ...]
    validator: jsonschema_rs.Validator
    root: JsonObject
    #: No parameter of the group sent is valid (none is required): the validator is not run
    #: for an empty group (most requests send no optional header or query parameter).
    empty_ok: bool = False


@dataclass
class BodyRule:
    media_type: str
    validator: jsonschema_rs.Validator | None
    root: JsonObject
    file_fields: frozenset[str]
    required_fields: frozenset[str]
    properties: JsonObject
    strict: bool = False
    #: Why strictness is a guess (``x-stagemock-guess``), ``None`` when documented.
    strict_guess: str | None = None
    #: Multipart: names of which exactly one file part must be sent (a ``oneOf`` of
    #: ``required: [name]`` branches, e.g. Stager AI's ``File`` or ``file``).
    file_alternatives: tuple[str, ...] = ()


@dataclass
class OperationValidator:
    operation: Operation
    document: JsonObject
    params: dict[str, ParamGroup]
    bodies: dict[str, BodyRule]
    #: the JSON body's size rule (``spec.body.SizeRule``) by lenient mode, built on first use
    size_rules: dict[bool, SizeRule] = field(default_factory=dict)

    def check(self, location: str, values: JsonObject) -> list[JsonObject]:
        group = self.params.get(location)
        if group is None:
            return []
        if not values and group.empty_ok:
            return []
        if group.validator.is_valid(values):  # the common case: no error objects built
            return []
        errors = list(group.validator.iter_errors(values))
        found = describe_errors(self.document, group.root, errors)
        if location == "header":  # validated by lowercase name, named as the spec spells it
            spelled = {p.name.lower(): p.name for p in group.params}
            found = [{**v, "field": _spelled(v["field"], spelled)} for v in found]
        return found

    def check_body(self, media_type: str, body: Json) -> list[JsonObject]:
        rule = self.bodies[media_type]
        if rule.validator is None:
            return []
        if rule.validator.is_valid(body):
            return []
        errors = list(rule.validator.iter_errors(body))
        return describe_errors(self.document, rule.root, errors) if errors else []


def _spelled(field: Json, spelled: dict[str, str]) -> Json:
    if isinstance(field, list):
        return [_spelled(f, spelled) for f in field]
    return spelled.get(field, field) if isinstance(field, str) else field


def _is_file(schema: JsonObject) -> bool:
    return (
        schema.get("format") == "binary"
        or "contentMediaType" in schema
        or "contentEncoding" in schema
        or (schema.get("type") == "array" and _is_file(schema.get("items", {})))
    )


def _file_alternatives(
    document: JsonObject, schema: JsonObject, files: frozenset[str]
) -> tuple[str, ...]:
    """The file parts a ``oneOf: [{required: [A]}, {required: [B]}]`` asks exactly one of."""
    names = []
    for branch in schema.get("oneOf", ()):
        branch = resolve(document, branch)
        required = branch.get("required", []) if isinstance(branch, dict) else []
        if len(required) != 1 or required[0] not in files:
            return ()
        names.append(required[0])
    return tuple(names)


def compile_operation(document: JsonObject, op: Operation) -> OperationValidator:
    groups: dict[str, ParamGroup] = {}
    for location in ("path", "query", "header"):
        params = tuple(p for p in op.parameters if p.location == location)
        if not params:
            continue
        names = {p.name.lower() if location == "header" else p.name: p for p in params}
        root: JsonObject = {
            "type": "object",
            "properties": {name: p.schema for name, p in names.items()},
            "required": [name for name, p in names.items() if p.required],
        }
        group_validator = _compile(document, root)
        groups[location] = ParamGroup(location, params, group_validator, root,
                                      empty_ok=group_validator.is_valid({}))
    bodies: dict[str, BodyRule] = {}
    for media, schema in op.body_content.items():
        resolved = resolve(document, schema) if schema else {}
        props = {k: resolve(document, v) for k, v in resolved.get("properties", {}).items()}
        files = frozenset(k for k, v in props.items() if _is_file(v))
        validator: jsonschema_rs.Validator | None
        if media in JSON_TYPES:
            validator = _compile(document, schema) if schema else None
            root = schema
        elif media == "multipart/form-data":
            # Files are checked by the dispatcher; the other fields are validated as a dict.
            root = {
                "type": "object",
                "properties": {k: v for k, v in props.items() if k not in files},
                "required": [k for k in resolved.get("required", []) if k not in files],
            }
            if resolved.get("additionalProperties") is False:
                root["additionalProperties"] = False
            validator = _compile(document, root)
        else:
            validator, root = None, {}
        bodies[media] = BodyRule(
            media_type=media,
            validator=validator,
            root=root,
            file_fields=files,
            required_fields=frozenset(resolved.get("required", [])),
            properties=props,
            strict=resolved.get("additionalProperties") is False,
            strict_guess=guess_at(document, resolved, ["additionalProperties"]),
            file_alternatives=_file_alternatives(document, resolved, files),
        )
    return OperationValidator(op, document, groups, bodies)
