"""Tell a failure caused only by a guessed rule of the spec (``x-stagemock-guess``) from one
that breaks a documented rule, reading schemathesis's structured events (``--report ndjson``).

Against a server that is not the mock (no ``/__mock/``), ``stagemock check`` reports a
guess-only failure in its own section and does not fail the run for it (``--strict-guesses``
makes it fail). A failure is guess-only when:

- invalid input was accepted (``negative_data_rejection``) and every rule the request breaks,
  as the mock's own validators see it, is a guess;
- an undocumented status was answered (``status_code_conformance``) where the spec's only
  success statuses are guesses and the server answered another 2xx (200 instead of 202);
- a response body violates its schema (``response_schema_conformance``) only in guessed rules.

Everything else, and anything that cannot be attributed, counts as documented.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from contract_tests.curl import from_interaction
from mock_server.spec.guesses import GUESS
from mock_server.spec.loader import Operation, load_spec, resolve
from mock_server.spec.validation import (
    OperationValidator,
    _compile,
    coerce,
    compile_operation,
    describe_errors,
)


@dataclass(frozen=True)
class Finding:
    """One failed check of one test case."""

    operation: str  # "getJob (GET /jobs/{id})"
    check: str
    title: str
    #: the guesses the failure comes from ("`input.style`: why"), empty when documented
    guesses: tuple[str, ...]
    request: str  # "POST /jobs {"type": ...}"
    #: schemathesis's own words for the failure ("Received: 201\nDocumented: 200, 401")
    message: str = ""
    #: the failing request as a curl command
    curl: str = ""


class Classifier:
    def __init__(self, spec_path: Path, api: str) -> None:
        self.spec = load_spec(api, spec_path, "")
        self.document = self.spec.document
        self.ops: dict[tuple[str, str], Operation] = {
            (op.method, op.path): op for op in self.spec.operations
        }
        self._validators: dict[str, OperationValidator] = {}

    def validator(self, op: Operation) -> OperationValidator:
        if op.operation_id not in self._validators:
            self._validators[op.operation_id] = compile_operation(self.document, op)
        return self._validators[op.operation_id]

    # ------------------------------------------------------------------ per check
    def guesses_for(self, check: str, case: dict[str, Any], response: dict[str, Any] | None
                    ) -> tuple[str, ...]:
        op = self.ops.get((str(case.get("method", "")).upper(), case.get("path", "")))
        if op is None:
            return ()
        if check == "negative_data_rejection":
            return self._request_guesses(op, case)
        if check == "status_code_conformance" and response is not None:
            return self._status_guesses(op, int(response.get("status_code", 0)))
        if check == "response_schema_conformance" and response is not None:
            return self._response_guesses(op, response)
        return ()

    def _request_guesses(self, op: Operation, case: dict[str, Any]) -> tuple[str, ...]:
        v = self.validator(op)
        violations: list[dict[str, Any]] = []
        params = {
            "path": case.get("path_parameters") or {},
            "query": case.get("query") or {},
        }
        for location, values in params.items():
            group = v.params.get(location)
            if group is None:
                continue
            schemas = {p.name: p.schema for p in group.params}
            coerced = {k: coerce(val, schemas.get(k, {})) if isinstance(val, (str, list)) else val
                       for k, val in values.items()}
            violations += v.check(location, coerced)
        media = case.get("media_type")
        if media in v.bodies and "body" in case and v.bodies[media].validator is not None:
            if media == "application/json":
                violations += v.check_body(media, case["body"])
        if not violations:
            return ()  # nothing we can attribute: a documented failure
        if not all(x.get("guess") for x in violations):
            return ()
        return tuple(sorted({f"`{x['field'] or 'body'}`: {x['guess']}" for x in violations}))

    def _status_guesses(self, op: Operation, status: int) -> tuple[str, ...]:
        if not 200 <= status < 300:
            return ()
        success = {code: resolve(self.document, r) for code, r in op.responses.items()
                   if str(code).startswith("2")}
        raw = {code: self.document_response(op, code) for code in success}
        if not success or not all(isinstance(r, dict) and GUESS in r for r in raw.values()):
            return ()
        return tuple(f"status {code}: {r[GUESS]}" for code, r in sorted(raw.items()))

    def document_response(self, op: Operation, code: str) -> dict[str, Any]:
        """The response object as written (a guess may sit on the referencing object or on
        the referenced one)."""
        item = self.document["paths"][op.path][op.method.lower()]["responses"][code]
        if isinstance(item, dict) and GUESS in item:
            return item
        return resolve(self.document, item)

    def _response_guesses(self, op: Operation, response: dict[str, Any]) -> tuple[str, ...]:
        status = str(response.get("status_code"))
        responses = op.responses
        spec = responses.get(status) or responses.get(f"{status[0]}XX") or responses.get("default")
        if spec is None:
            return ()
        spec = resolve(self.document, spec)
        schema = (spec.get("content", {}).get("application/json") or {}).get("schema")
        body = _body(response)
        if schema is None or body is None:
            return ()
        validator = _compile(self.document, schema)
        errors = list(validator.iter_errors(body))
        if not errors:
            return ()
        violations = describe_errors(self.document, schema, errors)
        if not all(x.get("guess") for x in violations):
            return ()
        return tuple(sorted({f"`{x['field'] or 'body'}`: {x['guess']}" for x in violations}))


def _body(response: dict[str, Any]) -> Any:
    content = response.get("content")
    if isinstance(content, dict) and "$base64" in content:
        raw = base64.b64decode(content["$base64"])
    elif isinstance(content, str):
        raw = content.encode()
    else:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def _request(case: dict[str, Any]) -> str:
    text = f"{case.get('method', '?')} {case.get('path', '?')}"
    if case.get("path_parameters"):
        text += f" path {json.dumps(case['path_parameters'], ensure_ascii=False)}"
    if case.get("query"):
        text += f" query {json.dumps(case['query'], ensure_ascii=False)}"
    if case.get("body") is not None:
        body = json.dumps(case["body"], ensure_ascii=False)
        text += " " + (body if len(body) <= 300 else body[:300] + "…")
    return text


def findings(ndjson: Path, classifier: Classifier, ids: dict[str, str],
             credentials: dict[str, str] | None = None) -> list[Finding]:
    """Every failed check of every recorded test case, classified."""
    out: list[Finding] = []
    if not ndjson.exists():
        return out
    for line in ndjson.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        finished = event.get("ScenarioFinished")
        if not isinstance(finished, dict):
            continue
        recorder = finished.get("recorder") or {}
        cases = recorder.get("cases") or {}
        interactions = recorder.get("interactions") or {}
        for case_id, checks in (recorder.get("checks") or {}).items():
            case = (cases.get(case_id) or {}).get("value") or {}
            interaction = interactions.get(case_id) or {}
            response = interaction.get("response")
            for check in checks:
                if check.get("status") != "failure":
                    continue
                failure = (check.get("failure_info") or {}).get("failure") or {}
                label = failure.get("operation") or f"{case.get('method')} {case.get('path')}"
                name = ids.get(label)
                out.append(
                    Finding(
                        operation=f"{name} ({label})" if name else label,
                        check=check.get("name", ""),
                        title=failure.get("title") or check.get("name", ""),
                        guesses=classifier.guesses_for(check.get("name", ""), case, response),
                        request=_request(case),
                        message=str(failure.get("message") or ""),
                        curl=from_interaction(interaction["request"], credentials)
                        if interaction.get("request") else "",
                    )
                )
    return out
