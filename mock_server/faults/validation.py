"""A fault rule checked against ``openapi/admin.yaml``'s ``FaultInput``, whatever surface it
came from: ``POST /__mock/faults`` (and through it the plugin's ``fault()`` and MCP's
``inject_fault``) and ``stagemock serve --fault``. The schema says which fields a rule has,
their types and ranges, which ``action`` and ``operation`` fit which ``api``, and which fields
go with which action; nothing of it is checked by hand again.

A refusal is the admin API's 400 (``ValidationFailed``) naming the field, worded as the
control plane's dispatcher words it (``spec.dispatch.refusal``; the admin binding's
``explain`` is ``RuleSchema.explain``), so a bad rule reads the same from every surface.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import jsonschema_rs

from ..jsontypes import Json, JsonObject
from ..spec.dispatch import refusal
from ..spec.loader import read_document, resolve
from ..spec.validation import describe_errors
from .models import WEBHOOKS

#: The schema a rule is checked against, as ``createFault``'s request body names it.
ROOT: JsonObject = {"$ref": "#/components/schemas/FaultInput"}


class RuleSchema:
    """``FaultInput`` of one admin.yaml document: ``check`` a rule, ``explain`` a violation."""

    def __init__(self, document: JsonObject) -> None:
        self.document = document
        schema = document["components"]["schemas"]["FaultInput"]
        #: api → its branch's properties (the ``oneOf``: which actions and operations fit)
        self.branches: dict[str, JsonObject] = {
            b["properties"]["api"]["const"]: b["properties"] for b in schema["oneOf"]
        }
        #: field → the actions it goes with (the ``allOf``: ``if`` not these, ``then`` not it)
        self.goes_with: dict[str, list[str]] = {}
        for rule in schema.get("allOf", ()):
            unless = rule["if"]["properties"]["action"]["not"]
            actions = unless["enum"] if "enum" in unless else [unless["const"]]
            for name in rule["then"]["properties"]:
                self.goes_with[name] = list(actions)

    @classmethod
    def load(cls, path: Path) -> RuleSchema:
        return cls(read_document(path))

    @cached_property
    def validator(self) -> jsonschema_rs.Validator:
        root = {**ROOT, "components": self.document["components"]}
        return jsonschema_rs.Draft202012Validator(root, validate_formats=True)

    def check(self, body: Json) -> None:
        """Raise the admin API's ``ValidationFailed`` (naming the field) unless ``body`` is
        a rule ``FaultInput`` accepts."""
        if self.validator.is_valid(body):
            return
        errors = list(self.validator.iter_errors(body))
        violations = describe_errors(self.document, ROOT, errors)
        raise refusal([self.explain(v, body) for v in violations])

    def explain(self, violation: JsonObject, body: Json) -> JsonObject:
        """A rule's violation in the rule's terms: a field that goes with other actions
        says which; an ``api`` whose ``action`` or ``operation`` does not fit fails the
        ``oneOf`` (one branch per API), said as the field and what fits instead."""
        if not isinstance(body, dict):
            return violation
        field = violation.get("field")
        if isinstance(field, str) and field in self.goes_with and (
                body.get("action") not in self.goes_with[field]):
            return {**violation, "message": f"goes with {' and '.join(self.goes_with[field])}"
                    f", not {body.get('action')}"}
        if field is not None:
            return violation
        api = body.get("api")
        branch = self.branches.get(api) if isinstance(api, str) else None
        if branch is None or "oneOf" not in violation["message"]:
            return violation
        actions = resolve(self.document, branch["action"])["enum"]
        if not isinstance(body.get("action"), str) or body["action"] not in actions:
            return {**violation, "field": "action", "message": f"{body.get('action')!r} "
                    f"does not apply to {api}: use one of {', '.join(actions)}"}
        names = [n for n in branch["operation"]["enum"] if n is not None]
        if not isinstance(body.get("operation"), str | None) or (
                body.get("operation") is not None and body["operation"] not in names):
            what = "event type" if api == WEBHOOKS else "operationId"
            return {**violation, "field": "operation", "message": f"{body.get('operation')!r} "
                    f"is no {what} of {api}; known: {', '.join(names)}"}
        return violation
