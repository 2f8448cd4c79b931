"""What is wrong with an answer, in words, read from the spec: a success (2xx) whose body is
one of the operation's error bodies (:func:`misplaced_error`), and where a body breaks its
schema (:func:`schema_violations`). Also the spec's response objects as written, which is
where a guess on a status sits (:func:`document_response`)."""

from __future__ import annotations

import json

from contract_tests.ndjson import Response, response_body
from mock_server.jsontypes import Json, JsonObject
from mock_server.spec.guesses import GUESS
from mock_server.spec.loader import Operation, declared_response, resolve
from mock_server.spec.validation import _compile, schema_errors

#: An OpenAPI document or one of its objects, as parsed from YAML.
Spec = JsonObject


def document_response(document: Spec, op: Operation, code: str) -> Spec:
    """The response object as written (a guess may sit on the referencing object or on
    the referenced one)."""
    item = document["paths"][op.path][op.method.lower()]["responses"][code]
    if isinstance(item, dict) and GUESS in item:
        return item
    resolved: Spec = resolve(document, item)
    return resolved


def json_schema(document: Spec, op: Operation, status: str) -> Spec | None:
    """The schema of the operation's ``application/json`` answer with ``status``."""
    spec = declared_response(op.responses, status)
    if spec is None:
        return None
    spec = resolve(document, spec)
    schema: Spec | None = (spec.get("content", {}).get("application/json") or {}).get("schema")
    return schema


def strings(answer: Json) -> set[str]:
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


def misplaced_error(document: Spec, op: Operation, status: int, body: Json) -> str | None:
    """In words, when a success (2xx) answers with an error body of the spec (the body
    fits the schema of one of the operation's 4xx responses, not its 2xx one): "expected
    404, got 200: the body is a `not_found` error (no job … in this account)". ``None``
    otherwise. The expected status: the one 4xx whose schema fits, else the one whose
    description or examples name the body's code (404 for a ``*not_found`` code)."""
    if not 200 <= status < 300 or not isinstance(body, dict):
        return None
    ok = json_schema(document, op, str(status))
    if ok is not None and _compile(document, ok).is_valid(body):
        return None
    fits = [c for c in map(str, op.responses) if c.startswith("4")
            and (schema := json_schema(document, op, c)) is not None
            and _compile(document, schema).is_valid(body)]
    if not fits:
        return None
    error = body["error"] if isinstance(body.get("error"), dict) else body
    code, message = str(error.get("code") or ""), str(error.get("message") or "")
    expected = fits[0] if len(fits) == 1 else None
    if expected is None and code:
        named = ["404"] if "not_found" in code and "404" in fits else [
            c for c in fits if code in strings(document_response(document, op, c))
            or f"`{code}`" in str(document_response(document, op, c).get("description", ""))]
        expected = named[0] if len(named) == 1 else None
    said = f"a `{code}` error" if code else "an error"
    if message:
        said += f" ({message if len(message) <= 120 else message[:120] + '…'})"
    return f"expected {expected or 'a 4xx'}, got {status}: the body is {said}"


def schema_violations(document: Spec, op: Operation, response: Response, most: int = 3
                      ) -> list[str]:
    """How a response body breaks its schema, one short phrase per place: the keyword,
    where in the body (``data[0].status``) and the offending value, truncated
    ("`data[0].status` is "bogus…" (`enum`)", "`data[0]` lacks `type`, `input`
    (`required`)"); at most ``most``, then "… N more". Empty when nothing is found."""
    schema = json_schema(document, op, str(response.get("status_code")))
    body = response["json"] if "json" in response else response_body(response)
    if schema is None or body is None:
        return []
    errors = schema_errors(document, schema, body)
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


def _body_path(parts: list[str | int]) -> str:
    """``["data", 0, "status"]`` → ``data[0].status`` (the body itself: ``body``)."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _short(value: Json, most: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= most else text[: most - 1] + "…"
