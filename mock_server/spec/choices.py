"""Which branch of a choice (``oneOf``/``anyOf``) a request meant, so that a refusal names the
field the rule is about: a choice tagged by a field (StagePro's job ``type``) is judged by the
branch its tag picks; the violations of a request are each said once."""

from __future__ import annotations

from collections.abc import Sequence

import jsonschema_rs

from ..jsontypes import Json, JsonObject
from .guesses import SUFFIX
from .loader import schema_node
from .schema_walk import case_field, fits_case

#: A verdict's weight: where a rule is stated twice, the documented statement wins.
_WEIGHT = {"documented": 2, "guess": 1}


def distinct(violations: list[JsonObject]) -> list[JsonObject]:
    """Each violation once: a choice's branch may restate a rule its base states too. Of two
    statements of one rule the stronger verdict is kept (a field required by a guessed shared
    schema and again where a reference states it is a documented finding)."""
    kept: dict[tuple[str, str], int] = {}
    out: list[JsonObject] = []
    for v in violations:
        key = (str(v.get("field")), str(v.get("message")).removesuffix(f" {SUFFIX}"))
        at = kept.get(key)
        if at is None:
            kept[key] = len(out)
            out.append(v)
        elif _WEIGHT.get(str(v.get("rule")), 0) > _WEIGHT.get(str(out[at].get("rule")), 0):
            out[at] = v
    return out


def tagged_branches(branches: list[list[jsonschema_rs.ValidationError]],
                    path: Sequence[str | int], errors: list[jsonschema_rs.ValidationError]
                    ) -> list[list[jsonschema_rs.ValidationError]] | None:
    """A choice tagged by a field (a ``const`` or ``enum`` on a field of the object itself,
    StagePro's job ``type``): the errors of each branch the request's tag picks, so the
    violation names the field those branches refuse (``input.listing_tool``), not the whole
    body. ``[]`` when no branch takes the tag and the tag's own error says so; None when the
    choice is not tagged (or the tag rules no branch out)."""
    depth = len(path) + 1

    def tag_errors(branch: list[jsonschema_rs.ValidationError]) -> list[tuple[str | int, ...]]:
        return [tuple(e.instance_path) for e in branch
                if type(e.kind).__name__ in ("Constant", "Enum")
                and len(e.instance_path) == depth]

    picked = [b for b in branches if not tag_errors(b)]
    if picked:
        return picked if len(picked) < len(branches) else None
    tags = {t for b in branches for t in tag_errors(b)}
    if all(any(tuple(e.instance_path) == t and type(e.kind).__name__ not in
               ("OneOfNotValid", "OneOfMultipleValid", "AnyOf") for e in errors)
           for t in tags):
        return []  # an unknown tag: its own error (an enum) names it
    return None


def alternatives(asked: list[list[JsonObject]]) -> JsonObject:
    """One violation for a choice whose branches each ask something else (no tag picks one):
    every field they name, and what each branch asks, as alternatives."""
    fields = [str(f) for branch in asked for v in branch
              for f in (v["field"] if isinstance(v.get("field"), list) else [v.get("field")])]
    message = " or ".join(
        "; ".join(f"`{v['field']}` {str(v['message']).removesuffix(' ' + SUFFIX)}"
                  for v in branch)
        for branch in asked)
    return {"field": list(dict.fromkeys(fields)), "message": message}


_CHOICES = ("OneOfNotValid", "OneOfMultipleValid", "AnyOf")


def through_cases(document: JsonObject, root: Json, errors: list[jsonschema_rs.ValidationError]
                  ) -> list[jsonschema_rs.ValidationError]:
    """The errors of a choice by case (``schema_walk.case_field``: a job's rules by
    ``status``) as an ``if``/``then`` would give them: the choice's error becomes the errors of
    the branch the field's value picks, those the branch states itself (a ``completed`` job's
    ``output`` that is not an object); what a schema it refers to says (``JobOutput``'s
    fields) the field's own schema judges already, as it does a value no branch takes (an
    unknown ``status``: its enum; none: its ``required``)."""
    out: list[jsonschema_rs.ValidationError] = []
    for err in errors:
        name = _case_of(document, root, err)
        if name is None:
            out.append(err)
            continue
        keyword = str(err.schema_path[-1])
        choice = schema_node(document, root, list(err.schema_path)[:-1])
        instance = err.instance
        branches = choice.get(keyword) if isinstance(choice, dict) else None
        if not isinstance(instance, dict) or not isinstance(branches, list):
            continue
        picked = [i for i, b in enumerate(branches) if fits_case(document, b, name, instance)]
        context = list(getattr(err.kind, "context", None) or [])
        if len(picked) != 1 or picked[0] >= len(context):
            continue
        branch = branches[picked[0]]
        ref = branch.get("$ref") if isinstance(branch, dict) else None
        own: list[str | int] = (list(ref.lstrip("#/").split("/")) if isinstance(ref, str)
                                else [*err.schema_path, picked[0]])
        out += through_cases(document, root, [
            e for e in context[picked[0]] if _under(list(e.schema_path), own)])
    return out


def _under(path: list[str | int], prefix: list[str | int]) -> bool:
    """Whether an error's schema path is in the branch itself (not in a schema it refers
    to): ``[..., "properties", "output", "type"]`` of the branch, not ``JobOutput``'s."""
    return [str(p) for p in path[:len(prefix)]] == [str(p) for p in prefix] and \
        "$ref" not in path[len(prefix):]


def _case_of(document: JsonObject, root: Json, err: jsonschema_rs.ValidationError
             ) -> str | None:
    """The field a failed choice states rules by case of, else None."""
    if type(err.kind).__name__ not in _CHOICES:
        return None
    path = list(err.schema_path)
    choice = schema_node(document, root, path[:-1])
    owner = schema_node(document, root, path[:-3]) if len(path) >= 3 and path[-3] == "allOf" \
        else choice
    return case_field(document, owner, choice)
