"""Tell a failure caused only by a guessed rule of the spec (``x-stagemock-guess``) from one
that breaks a documented rule, reading schemathesis's structured events (``--report ndjson``).

Against a server that is not the mock (no ``/__mock/``), ``stagemock check`` reports a
guess-only failure in its own section and does not fail the run for it (``--strict-guesses``
makes it fail). A failure is guess-only when:

- invalid input was accepted (``negative_data_rejection``) and every rule the request breaks,
  as the mock's own validators see it, is a guess;
- an undocumented status was answered (``status_code_conformance``) where the spec's only
  success statuses are guesses and the server answered another 2xx (200 instead of 202);
- a response body violates its schema (``response_schema_conformance``) only in guessed rules;
- valid input was refused (``positive_data_acceptance``, a 4xx) and the refusal can be laid
  on values only guesses allow (:meth:`Classifier.acceptance_guesses`): either the answer
  names fields of the request (any string of its body equal to the field's dotted name, e.g.
  ``error.field: "input.style"``) and every one it names holds such a value, or, naming none,
  the request holds such a value and no value that a documented rule constrains.

A value "only guesses allow" sits where a constraining keyword (``enum``, ``const``, a
length, size or range limit, ``pattern``, ``format``, extra properties) applies to it and
every such keyword there is a guess (:func:`mock_server.spec.guesses.guess_at`), and no
example of the operation (or ``example`` of its schema) shows that very value at that
place: a value the vendor's own examples use is documented. A value no keyword constrains
(a free string) counts for neither side.

The property suites (``contract_tests/suites``) use the same rules through
:meth:`Classifier.status_guesses`, :meth:`Classifier.body_guesses` and
:meth:`Classifier.rule_guess` (``suites/helpers.py`` says how).

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
from mock_server.spec.guesses import GUESS, guess_at
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
    #: a success answered with an error body, in words ("expected 404, got 200: …")
    misplaced: str | None = None
    #: a schema finding in words: keyword, place in the body, value (``schema_violations``)
    detail: tuple[str, ...] = ()
    #: the request's method and the response's status (0: no response)
    method: str = ""
    status: int = 0


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
        if check == "positive_data_acceptance" and response is not None:
            if 400 <= int(response.get("status_code", 0)) < 500:
                return self.acceptance_guesses(op, case, _body(response))
        return ()

    def operation(self, operation_id: str) -> Operation | None:
        return next((o for o in self.ops.values() if o.operation_id == operation_id), None)

    def _request_guesses(self, op: Operation, case: dict[str, Any]) -> tuple[str, ...]:
        violations = self._violations(op, case)
        if not violations:
            return ()  # nothing we can attribute: a documented failure
        if not all(x.get("guess") for x in violations):
            return ()
        return tuple(sorted({f"`{x['field'] or 'body'}`: {x['guess']}" for x in violations}))

    def _violations(self, op: Operation, case: dict[str, Any]) -> list[dict[str, Any]]:
        """What the mock's own validators find wrong with the request of ``case``."""
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
        return violations

    def _status_guesses(self, op: Operation, status: int) -> tuple[str, ...]:
        return self.status_guesses(op, status)

    def status_guesses(self, op: Operation, status: int,
                       expected: tuple[int, ...] | None = None) -> tuple[str, ...]:
        """Why answering ``status`` where the spec says one of ``expected`` (default: the
        operation's success statuses) disagrees only with guesses: every expected status is a
        response the spec marks as a guess, and the answer is of the same kind (another 2xx
        for a guessed success; any non-5xx for a guessed error status, such as a 403 where
        the guessed 401 is expected). Empty: documented."""
        codes = [str(c) for c in expected] if expected is not None else [
            str(c) for c in op.responses if str(c).startswith("2")]
        if not codes or any(c not in op.responses for c in codes):
            return ()  # a status the spec does not list for the operation: not ours to judge
        if all(c.startswith("2") for c in codes):
            if not 200 <= status < 300:
                return ()
        elif all(c.startswith("4") for c in codes):
            if status >= 500:
                return ()
        else:
            return ()
        raw = {code: self.document_response(op, code) for code in codes}
        if not all(isinstance(r, dict) and GUESS in r for r in raw.values()):
            return ()
        return tuple(f"got {status}, the spec's status is {code} (a guess: {r[GUESS]})"
                     for code, r in sorted(raw.items()))

    def rule_guess(self, pointer: str) -> str | None:
        """The guess of the rule at ``pointer`` (a JSON pointer into the spec, e.g.
        ``/paths/~1jobs/get/parameters/3/schema``): the node's own ``x-stagemock-guess``, or
        the guess it falls under (:func:`guess_at`). Raises ``KeyError`` for a pointer that
        names nothing."""
        parts = _pointer(pointer)
        node: Any = self.document
        for part in parts:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, dict) and isinstance(node.get(GUESS), str):
            return node[GUESS]
        return guess_at(self.document, self.document, parts) if parts else None

    def body_guesses(self, op: Operation, status: int, body: Any) -> tuple[str, ...]:
        """Why ``body``, answered with ``status``, disagrees only with guessed rules of its
        schema (empty: documented, or nothing to attribute)."""
        return self._response_guesses(op, {"status_code": status, "json": body})

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
        body = response["json"] if "json" in response else _body(response)
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

    # ------------------------------------------------------------------ an error answered 2xx
    def _json_schema(self, op: Operation, status: str) -> Any:
        spec = op.responses.get(status)
        if spec is None:
            return None
        spec = resolve(self.document, spec)
        return (spec.get("content", {}).get("application/json") or {}).get("schema")

    def misplaced_error(self, op: Operation, status: int, body: Any) -> str | None:
        """In words, when a success (2xx) answers with an error body of the spec (the body
        fits the schema of one of the operation's 4xx responses, not its 2xx one): "expected
        404, got 200: the body is a `not_found` error (no job … in this account)". ``None``
        otherwise. The expected status: the one 4xx whose schema fits, else the one whose
        description or examples name the body's code (404 for a ``*not_found`` code)."""
        if not 200 <= status < 300 or not isinstance(body, dict):
            return None
        ok = self._json_schema(op, str(status))
        if ok is not None and _compile(self.document, ok).is_valid(body):
            return None
        fits = [c for c in map(str, op.responses) if c.startswith("4")
                and (schema := self._json_schema(op, c)) is not None
                and _compile(self.document, schema).is_valid(body)]
        if not fits:
            return None
        error = body["error"] if isinstance(body.get("error"), dict) else body
        code, message = str(error.get("code") or ""), str(error.get("message") or "")
        expected = fits[0] if len(fits) == 1 else None
        if expected is None and code:
            named = ["404"] if "not_found" in code and "404" in fits else [
                c for c in fits if code in _strings(self.document_response(op, c))
                or f"`{code}`" in str(self.document_response(op, c).get("description", ""))]
            expected = named[0] if len(named) == 1 else None
        said = f"a `{code}` error" if code else "an error"
        if message:
            said += f" ({message if len(message) <= 120 else message[:120] + '…'})"
        return f"expected {expected or 'a 4xx'}, got {status}: the body is {said}"

    def schema_violations(self, op: Operation, response: dict[str, Any], most: int = 3
                          ) -> list[str]:
        """How a response body breaks its schema, one short phrase per place: the keyword,
        where in the body (``data[0].status``) and the offending value, truncated
        ("`data[0].status` is "bogus…" (`enum`)", "`data[0]` lacks `type`, `input`
        (`required`)"); at most ``most``, then "… N more". Empty when nothing is found."""
        schema = self._json_schema(op, str(response.get("status_code")))
        body = response["json"] if "json" in response else _body(response)
        if schema is None or body is None:
            return []
        errors = list(_compile(self.document, schema).iter_errors(body))
        if len(errors) > 1:  # "unevaluated properties" only follows from another failure
            errors = [e for e in errors
                      if type(e.kind).__name__ != "UnevaluatedProperties"] or errors
        missing: dict[str, list[str]] = {}
        out: list[str] = []
        for err in errors:
            where = _body_path(list(err.instance_path))
            if type(err.kind).__name__ == "Required":
                missing.setdefault(where, []).append(str(getattr(err.kind, "property", "?")))
                continue
            path = list(err.schema_path)
            keyword = next((str(k) for k in reversed(path) if isinstance(k, str)), "?")
            out.append(f"`{where}` is {_short(err.instance)} (`{keyword}`)")
        said = [f"`{where}` lacks " + ", ".join(f"`{n}`" for n in names[:6])
                + (f" and {len(names) - 6} more" if len(names) > 6 else "") + " (`required`)"
                for where, names in missing.items()] + out
        if len(said) > most:
            said = said[:most] + [f"… {len(said) - most} more"]
        return said

    # ------------------------------------------------------------------ valid input refused
    def acceptance_guesses(self, op: Operation, case: dict[str, Any], answer: Any
                           ) -> tuple[str, ...]:
        """Why refusing the schema-valid request of ``case`` (answered ``answer``, a parsed
        body or ``None``) disagrees only with guesses (the module docstring's rule); empty:
        documented."""
        if self._violations(op, case):
            return ()  # not valid by the spec after all: nothing to attribute
        values = self._values(op, case)
        guessed = {f: why for f, kind, why in values if kind == "guess"}
        if not guessed:
            return ()
        named = {f for f, _, _ in values if f in _strings(answer)}
        if named:
            if not named <= set(guessed):
                return ()
            return tuple(sorted(f"`{f}`: {guessed[f]}" for f in named))
        if any(kind == "documented" for _, kind, _ in values):
            return ()
        return tuple(sorted(f"`{f}`: {why}" for f, why in guessed.items()))

    def _values(self, op: Operation, case: dict[str, Any]) -> list[tuple[str, str, str]]:
        """Every value of the request as ``(field, kind, why)``: kind ``guess`` (only guessed
        rules constrain it), ``documented`` (a documented rule does), ``free`` (nothing does,
        or an example of the spec shows it)."""
        out: list[tuple[str, str, str]] = []
        shown = self._examples(op)
        item = self.document["paths"][op.path]
        method = op.method.lower()
        params: list[tuple[list[Any], Any]] = [(["paths", op.path, "parameters", i], p)
                  for i, p in enumerate(item.get("parameters") or [])]
        params += [(["paths", op.path, method, "parameters", i], p)
                   for i, p in enumerate(item[method].get("parameters") or [])]
        sent = {
            "path": case.get("path_parameters") or {},
            "query": case.get("query") or {},
            "header": {str(k).lower(): v for k, v in (case.get("headers") or {}).items()},
        }
        for path, param in params:
            if "$ref" in param:
                path, param = _pointer(param["$ref"]), resolve(self.document, param)
            where = param.get("in")
            name = param.get("name", "")
            key = name.lower() if where == "header" else name
            values = sent.get(where) or {}
            if key not in values or "schema" not in param:
                continue
            raw = values[key]
            if isinstance(raw, list) and len(raw) == 1 and where != "query":
                raw = raw[0]
            value = coerce(raw, resolve(self.document, param["schema"])) \
                if isinstance(raw, (str, list)) else raw
            self._walk(path + ["schema"], param["schema"], value, name, shown, out)
        media = case.get("media_type")
        body = item[method].get("requestBody")
        if media == "application/json" and "body" in case and body is not None:
            body_path = ["paths", op.path, method, "requestBody"]
            if "$ref" in body:
                body_path, body = _pointer(body["$ref"]), resolve(self.document, body)
            content = (body.get("content") or {}).get(media)
            if isinstance(content, dict) and "schema" in content:
                self._walk(body_path + ["content", media, "schema"], content["schema"],
                           case["body"], "", shown, out)
        return out

    def _examples(self, op: Operation) -> dict[str, list[Any]]:
        """Field → the values the operation's request examples show there."""
        out: dict[str, list[Any]] = {}

        def flatten(value: Any, name: str) -> None:
            out.setdefault(name, []).append(value)
            if isinstance(value, dict):
                for k, v in value.items():
                    flatten(v, f"{name}.{k}" if name else str(k))
            elif isinstance(value, list):
                for v in value:
                    flatten(v, f"{name}[]")

        raw = self.document["paths"][op.path][op.method.lower()]
        body = resolve(self.document, raw.get("requestBody") or {})
        for content in (body.get("content") or {}).values():
            if "example" in content:
                flatten(content["example"], "")
            for example in (content.get("examples") or {}).values():
                example = resolve(self.document, example)
                if isinstance(example, dict) and "value" in example:
                    flatten(example["value"], "")
        return out

    def _walk(self, path: list[Any], schema: Any, value: Any, name: str,
              shown: dict[str, list[Any]], out: list[tuple[str, str, str]]) -> None:
        if not isinstance(schema, dict):
            return
        if "$ref" in schema:  # a referenced schema carries its own marks
            ref = schema["$ref"]
            self._walk(_pointer(ref), resolve(self.document, schema), value, name, shown, out)
            return
        kinds: list[str | None] = []
        for keyword in _applies(schema, value):
            kinds.append(guess_at(self.document, self.document, [*path, keyword]))
        if isinstance(value, dict):
            props = schema.get("properties") or {}
            extra = [k for k in value if k not in props]
            if extra and schema.get("additionalProperties", True) is not False:
                if "additionalProperties" in schema:
                    kinds.append(guess_at(self.document, self.document,
                                          [*path, "additionalProperties"]))
        if kinds:
            shows = name in shown and value in shown[name]
            shows = shows or value == schema.get("example", object()) or \
                value in (schema.get("examples") or [])
            if shows:
                out.append((name or "body", "free", ""))
            elif all(kinds):
                out.append((name or "body", "guess", str(kinds[0])))
            else:
                out.append((name or "body", "documented", ""))
        for i, sub in enumerate(schema.get("allOf") or []):
            self._walk([*path, "allOf", i], sub, value, name, shown, out)
        for keyword in ("oneOf", "anyOf"):
            for i, sub in enumerate(schema.get(keyword) or []):
                if _compile(self.document, sub).is_valid(value):
                    self._walk([*path, keyword, i], sub, value, name, shown, out)
        if isinstance(value, dict):
            props = schema.get("properties") or {}
            for key, sub in value.items():
                child = f"{name}.{key}" if name else key
                if key in props:
                    self._walk([*path, "properties", key], props[key], sub, child, shown, out)
                elif isinstance(schema.get("additionalProperties"), dict):
                    self._walk([*path, "additionalProperties"], schema["additionalProperties"],
                               sub, child, shown, out)
        elif isinstance(value, list) and isinstance(schema.get("items"), dict):
            for sub in value:
                self._walk([*path, "items"], schema["items"], sub, f"{name}[]", shown, out)


#: Keywords that refuse values, by the JSON type they apply to (``None``: any value).
_CONSTRAINING: dict[type | tuple[type, ...] | None, tuple[str, ...]] = {
    None: ("enum", "const"),
    str: ("maxLength", "minLength", "pattern", "format"),
    (int, float): ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf"),
    list: ("maxItems", "minItems", "uniqueItems"),
    dict: ("maxProperties", "minProperties"),
}


def _applies(schema: dict[str, Any], value: Any) -> list[str]:
    out = []
    for kind, keywords in _CONSTRAINING.items():
        if kind is None or (isinstance(value, kind) and not isinstance(value, bool)):
            out += [k for k in keywords if k in schema]
    return out


def _strings(answer: Any) -> set[str]:
    """Every string of a parsed answer (the fields an error body names)."""
    out: set[str] = set()
    stack = [answer]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            out.add(node)
        elif isinstance(node, dict):
            stack += list(node.values())
        elif isinstance(node, list):
            stack += node
    return out


def _pointer(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("#").split("/")[1:]]


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
        out += event_findings(event, classifier, ids, credentials)
    return out


def event_findings(event: Any, classifier: Classifier, ids: dict[str, str],
                   credentials: dict[str, str] | None = None) -> list[Finding]:
    """The failed checks of one NDJSON event (a ``ScenarioFinished``; nothing for any
    other), classified: read while schemathesis runs, for progress and ``--fail-fast``."""
    out: list[Finding] = []
    finished = event.get("ScenarioFinished") if isinstance(event, dict) else None
    if not isinstance(finished, dict):
        return out
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
                    curl=from_interaction(interaction["request"], credentials,
                                          check.get("name", ""))
                    if interaction.get("request") else "",
                    misplaced=_misplaced(classifier, case, response),
                    detail=_detail(classifier, check.get("name", ""), case, response),
                    method=str(case.get("method", "")).upper(),
                    status=int((response or {}).get("status_code") or 0),
                )
            )
    return out


def _misplaced(classifier: Classifier, case: dict[str, Any], response: Any) -> str | None:
    op = classifier.ops.get((str(case.get("method", "")).upper(), case.get("path", "")))
    if op is None or not isinstance(response, dict):
        return None
    return classifier.misplaced_error(op, int(response.get("status_code", 0)), _body(response))


def _detail(classifier: Classifier, check: str, case: dict[str, Any], response: Any
            ) -> tuple[str, ...]:
    op = classifier.ops.get((str(case.get("method", "")).upper(), case.get("path", "")))
    if check != "response_schema_conformance" or op is None or not isinstance(response, dict):
        return ()
    return tuple(classifier.schema_violations(op, response))


def _body_path(parts: list[Any]) -> str:
    """``["data", 0, "status"]`` → ``data[0].status`` (the body itself: ``body``)."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _short(value: Any, most: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= most else text[: most - 1] + "…"
