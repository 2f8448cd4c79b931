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

A value "only guesses allow" (:mod:`contract_tests.guessed_values`) sits where a
constraining keyword (``enum``, ``const``, a length, size or range limit, ``pattern``,
``format``, extra properties) applies to it and every such keyword there is a guess
(:func:`mock_server.spec.guesses.guess_at`), and no example of the operation (or ``example``
of its schema) shows that very value at that place: a value the vendor's own examples use
is documented. A value no keyword constrains
(a free string) counts for neither side.

The property suites (``contract_tests/suites``) use the same rules through
:meth:`Classifier.status_guesses`, :meth:`Classifier.body_guesses` and
:meth:`Classifier.rule_guess` (``suites/helpers.py`` says how).

Everything else, and anything that cannot be attributed, counts as documented.

The parts: this module's :class:`Classifier` (what the spec says about one check's failure);
:mod:`contract_tests.findings` (the NDJSON events' failed checks, one :class:`Finding` each,
re-exported here); :mod:`contract_tests.guessed_values` (which values of a request only
guesses allow); :mod:`contract_tests.answers` (what is wrong with an answer, in words).
"""

from __future__ import annotations

from pathlib import Path

import orjson

from contract_tests import answers
from contract_tests.answers import Spec, document_response, strings
from contract_tests.findings import Finding, event_findings, findings
from contract_tests.guessed_values import pointer_parts, request_values
from contract_tests.ndjson import Case, Response, response_body
from mock_server.jsontypes import Json
from mock_server.proxy.verdicts import SpecIndex
from mock_server.spec.guesses import GUESS, guess_at
from mock_server.spec.loader import (
    Operation,
    declared_response,
    load_spec,
    resolve,
    response_key,
)
from mock_server.spec.rules import (
    DOCUMENTED,
    GUESSED,
    UNCOVERED,
    Verdict,
    rulebook,
    schemas_under,
)
from mock_server.spec.validation import (
    OperationValidator,
    _compile,
    coerce,
    compile_operation,
    describe_errors,
)

__all__ = ["Classifier", "Finding", "event_findings", "findings"]


def _verdict_of(violation: dict[str, Json]) -> Verdict:
    """A violation's verdict; a guess names its field (`` `input.style`: why``)."""
    rule = str(violation.get("rule") or (GUESSED if violation.get("guess") else DOCUMENTED))
    source, why, where = violation.get("source"), violation.get("guess"), violation.get("field")
    if why and where:
        why = f"`{where if isinstance(where, str) else ' or '.join(map(str, where))}`: {why}"
    return Verdict(rule, str(source) if source else None, str(why) if why else None)


def _strongest(verdicts: list[Verdict]) -> Verdict:
    """Several rules broken at once: documented if any is (its source), else the guesses
    (their reasons together), else unspecified."""
    for kind in (DOCUMENTED, GUESSED):
        found = [v for v in verdicts if v.rule == kind]
        if found and kind == DOCUMENTED:
            return found[0]
        if found:
            return Verdict(GUESSED, guess="; ".join(dict.fromkeys(str(v.guess) for v in found)))
    return UNCOVERED


class Classifier:
    """What one API's spec says about a failure: whether it rests only on guesses."""

    def __init__(self, spec_path: Path, api: str) -> None:
        self.spec = load_spec(api, spec_path, "")
        self.document: Spec = self.spec.document
        self.ops: dict[tuple[str, str], Operation] = {
            (op.method, op.path): op for op in self.spec.operations
        }
        self._validators: dict[str, OperationValidator] = {}
        self.book = rulebook(self.document)
        self._index: SpecIndex | None = None

    @property
    def index(self) -> SpecIndex:
        """The proxy's judge of answers, over the same spec."""
        if self._index is None:
            self._index = SpecIndex(self.spec)
        return self._index

    def validator(self, op: Operation) -> OperationValidator:
        if op.operation_id not in self._validators:
            self._validators[op.operation_id] = compile_operation(self.document, op)
        return self._validators[op.operation_id]

    def operation(self, operation_id: str) -> Operation | None:
        return next((o for o in self.ops.values() if o.operation_id == operation_id), None)

    def case_operation(self, case: Case) -> Operation | None:
        """The operation a recorded case was generated for."""
        return self.ops.get((str(case.get("method", "")).upper(), case.get("path", "")))

    # ------------------------------------------------------------------ verdicts
    def verdict_for(self, check: str, case: Case, response: Response | None) -> Verdict:
        """What one failed check rests on (``mock_server.spec.rules``): ``documented`` with
        its source, ``guess`` with the reasons, or ``unspecified``:

        - an undeclared status (``status_code_conformance``, a 5xx) is ``unspecified``,
          unless the body of an undeclared 2xx breaks a documented rule of the operation's
          success answer (a renamed documented field under a 201 where the spec says 200);
        - a body that breaks its schema: the verdicts of the rules it breaks (documented if
          any is);
        - invalid input accepted: the verdicts of the rules the request breaks;
        - valid input refused: a guess when only guesses make it valid
          (:meth:`acceptance_guesses`), else documented;
        - any other check: the verdict of the status answered."""
        op = self.case_operation(case)
        if op is None or response is None:
            return UNCOVERED
        found = self._verdict_for(op, check, case, response)
        path = self.path_verdict(op)
        if found.rule == DOCUMENTED and path.rule == GUESSED:
            return path  # nothing of a path the references never name is documented
        return found

    def path_verdict(self, op: Operation) -> Verdict:
        """The verdict of the operation's path: a guess when the references never name it
        (the mock's ``/gcs/`` storage emulation)."""
        return self.book.path(op)

    def _verdict_for(self, op: Operation, check: str, case: Case, response: Response
                     ) -> Verdict:
        status = int(response.get("status_code", 0))
        book = self.book
        if check == "negative_data_rejection":
            return _strongest([_verdict_of(v) for v in self._violations(op, case)])
        if check == "positive_data_acceptance" and 400 <= status < 500:
            why = self.acceptance_guesses(op, case, response_body(response))
            return Verdict(GUESSED, guess="; ".join(why)) if why else book.status(op, status)
        if check in ("status_code_conformance", "response_schema_conformance") or status >= 500:
            found = self.body_verdicts(op, status, response)
            if check == "response_schema_conformance" or found:
                return _strongest(found) if found else book.status(op, status)
        return book.status(op, status)

    def body_violations(self, op: Operation, status: int, response: Response
                        ) -> list[dict[str, Json]]:
        """What the answer's body breaks, each violation with its verdict (as the proxy
        judges an answer; :meth:`body_verdicts`)."""
        body = response["json"] if "json" in response else response_body(response)
        if body is None:
            return []
        index = self.index
        rules = index.match(op.method, op.route_path)[0]
        found = index.check_response(rules, status, {"content-type": "application/json"},
                                     orjson.dumps(body), True)
        return [v for v in found if v.get("field") != "status"]

    def body_verdicts(self, op: Operation, status: int, response: Response) -> list[Verdict]:
        """The verdicts of what the answer's body breaks (as the proxy judges an answer:
        under a status the operation does not declare, only the documented rules of its
        success answer)."""
        return [_verdict_of(v) for v in self.body_violations(op, status, response)]

    def expected_status(self, op: Operation, status: int, expected: tuple[int, ...]
                        ) -> Verdict:
        """Answering ``status`` where a step expects one of ``expected``: unspecified when
        the operation does not declare ``status`` (unless it is another 2xx where a reference
        states the success status: documented); a guess when the expected statuses are
        guesses (:meth:`status_guesses`); else the expected status's own verdict."""
        answered = self.book.status(op, status)
        if response_key(op.responses, status) is None and \
                all(200 <= s < 300 for s in expected):
            return answered  # another 2xx where the reference documents the success status
        if answered.rule != DOCUMENTED and (status >= 500 or status == 429):
            return answered  # a fault: unspecified, or the spec's guessed 429 / 5XX
        why = self.status_guesses(op, status, expected)
        if why:
            return Verdict(GUESSED, guess="; ".join(why))
        wanted = [self.book.status(op, s) for s in expected]
        return _strongest(wanted) if wanted else answered

    def field_verdict(self, op: Operation, status: int, name: str) -> Verdict:
        """An answer that lacks field ``name`` (anywhere in the answer's schema): the rule
        requiring it, else the field's own; unspecified when the schema has no such field
        (an undeclared 2xx is read as the operation's success answer)."""
        responses = op.responses or {}
        key = response_key(responses, status)
        if key is None and 200 <= status < 300:
            key = next((str(s) for s in sorted(responses) if str(s).startswith("2")), None)
        response = resolve(self.document, responses.get(key) or {} if key else {})
        schema = ((response.get("content") or {}).get("application/json") or {}).get("schema")
        for node in schemas_under(self.document, schema):
            if name in (node.get("required") or ()):
                return self.book.required(node, name)
        for node in schemas_under(self.document, schema):
            if name in (node.get("properties") or {}):
                return self.book.field(node, name)
        return UNCOVERED

    def value_verdict(self, op: Operation, status: int, name: str) -> Verdict:
        """A value of field ``name`` outside its list, in an answer (``RuleBook.values``)."""
        response = resolve(self.document, declared_response(op.responses, status) or {})
        schema = ((response.get("content") or {}).get("application/json") or {}).get("schema")
        for node in schemas_under(self.document, schema):
            prop = (node.get("properties") or {}).get(name)
            for holder in schemas_under(self.document, prop):
                if "enum" in holder or "const" in holder:
                    return self.book.values(holder, "enum" if "enum" in holder else "const")
        return UNCOVERED

    def pointer_verdict(self, pointer: str) -> Verdict:
        """The rule at ``pointer`` (a JSON pointer into the spec; ``#token`` names one value
        or field of the ledger item there): its items' verdicts (a guess if any is one),
        else the guess covering it (:meth:`rule_guess`), else documented."""
        where, _, token = pointer.partition("#")
        items = [i for i in self.book.items.get(where, []) if not token or i.token == token]
        if items:
            verdicts = [Verdict(DOCUMENTED, i.mark[1]) if i.mark and i.mark[0] == "documented"
                        else Verdict(GUESSED, guess=i.mark[1]) if i.mark
                        else Verdict(DOCUMENTED) for i in items]
            guessed = [v for v in verdicts if v.rule == GUESSED]
            return _strongest(guessed) if guessed else verdicts[0]
        why = self.rule_guess(where)
        return Verdict(GUESSED, guess=why) if why else Verdict(DOCUMENTED)

    # ------------------------------------------------------------------ per check
    def _violations(self, op: Operation, case: Case) -> list[dict[str, Json]]:
        """What the mock's own validators find wrong with the request of ``case``."""
        v = self.validator(op)
        violations: list[dict[str, Json]] = []
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
        parts = pointer_parts(pointer)
        node: Json = self.document
        for part in parts:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, dict) and isinstance(node.get(GUESS), str):
            guess: str = node[GUESS]
            return guess
        return guess_at(self.document, self.document, list(parts)) if parts else None

    def body_guesses(self, op: Operation, status: int, body: Json) -> tuple[str, ...]:
        """Why ``body``, answered with ``status``, disagrees only with guessed rules of its
        schema (empty: documented, or nothing to attribute)."""
        return self._response_guesses(op, {"status_code": status, "json": body})

    def document_response(self, op: Operation, code: str) -> Spec:
        """The response object as written (:func:`answers.document_response`)."""
        return document_response(self.document, op, code)

    def _response_guesses(self, op: Operation, response: Response) -> tuple[str, ...]:
        spec = declared_response(op.responses, str(response.get("status_code")))
        if spec is None:
            return ()
        spec = resolve(self.document, spec)
        schema = (spec.get("content", {}).get("application/json") or {}).get("schema")
        body = response["json"] if "json" in response else response_body(response)
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

    # ------------------------------------------------------------------ answers in words
    def misplaced_error(self, op: Operation, status: int, body: Json) -> str | None:
        """A success answered with an error body of the spec, in words
        (:func:`answers.misplaced_error`); ``None`` otherwise."""
        return answers.misplaced_error(self.document, op, status, body)

    def schema_violations(self, op: Operation, response: Response, most: int = 3
                          ) -> list[str]:
        """How a response body breaks its schema, one phrase per place
        (:func:`answers.schema_violations`)."""
        return answers.schema_violations(self.document, op, response, most)

    # ------------------------------------------------------------------ valid input refused
    def acceptance_guesses(self, op: Operation, case: Case, answer: Json
                           ) -> tuple[str, ...]:
        """Why refusing the schema-valid request of ``case`` (answered ``answer``, a parsed
        body or ``None``) disagrees only with guesses (the module docstring's rule); empty:
        documented."""
        if self._violations(op, case):
            return ()  # not valid by the spec after all: nothing to attribute
        values = request_values(self.document, op, case)
        guessed = {v.field: v.why for v in values if v.kind == "guess"}
        if not guessed:
            return ()
        named = {v.field for v in values if v.field in strings(answer)}
        if named:
            if not named <= set(guessed):
                return ()
            return tuple(sorted(f"`{f}`: {guessed[f]}" for f in named))
        if any(v.kind == "documented" for v in values):
            return ()
        return tuple(sorted(f"`{f}`: {why}" for f, why in guessed.items()))
