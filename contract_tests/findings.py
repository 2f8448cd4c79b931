"""The failed checks of schemathesis's structured events (``--report ndjson``), one
:class:`Finding` each, classified by :class:`contract_tests.guesses.Classifier` (documented
or guess-only, an error answered as a success, a body's schema violations in words)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from contract_tests.curl import from_interaction
from contract_tests.ndjson import Case, Response, request_line, response_body
from mock_server.jsontypes import Json
from mock_server.spec.rules import DOCUMENTED, GUESS, Verdict

DOCUMENTED_VERDICT = Verdict(DOCUMENTED)

if TYPE_CHECKING:
    from contract_tests.guesses import Classifier


@dataclass(frozen=True)
class Finding:
    """One failed check of one test case."""

    operation: str  # "getJob (GET /jobs/{id})"
    check: str
    title: str
    #: the guesses the failure comes from ("`input.style`: why"), empty unless a guess
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
    #: what the failure rests on (``Classifier.verdict_for``): documented, guess, unspecified
    verdict: Verdict = DOCUMENTED_VERDICT


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


def event_findings(event: Json, classifier: Classifier, ids: dict[str, str],
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
        case: Case = (cases.get(case_id) or {}).get("value") or Case()
        interaction = interactions.get(case_id) or {}
        response: Response | None = interaction.get("response")
        for check in checks:
            if check.get("status") != "failure":
                continue
            verdict = classifier.verdict_for(check.get("name", ""), case, response)
            failure = (check.get("failure_info") or {}).get("failure") or {}
            label = failure.get("operation") or f"{case.get('method')} {case.get('path')}"
            name = ids.get(label)
            out.append(
                Finding(
                    operation=f"{name} ({label})" if name else label,
                    check=check.get("name", ""),
                    title=failure.get("title") or check.get("name", ""),
                    guesses=_guesses(verdict),
                    request=request_line(case),
                    message=str(failure.get("message") or ""),
                    curl=from_interaction(interaction["request"], credentials,
                                          check.get("name", ""))
                    if interaction.get("request") else "",
                    misplaced=_misplaced(classifier, case, response),
                    detail=_detail(classifier, check.get("name", ""), case, response),
                    method=str(case.get("method", "")).upper(),
                    status=int((response or {}).get("status_code") or 0),
                    verdict=verdict,
                )
            )
    return out


def _guesses(verdict: Verdict) -> tuple[str, ...]:
    """A guess's reasons, one per rule (empty for anything else)."""
    return tuple(verdict.guess.split("; ")) if verdict.rule == GUESS and verdict.guess else ()


def _misplaced(classifier: Classifier, case: Case, response: Response | None) -> str | None:
    op = classifier.case_operation(case)
    if op is None or not isinstance(response, dict):
        return None
    return classifier.misplaced_error(op, int(response.get("status_code", 0)),
                                      response_body(response))


def _detail(classifier: Classifier, check: str, case: Case, response: Response | None
            ) -> tuple[str, ...]:
    op = classifier.case_operation(case)
    if op is None or not isinstance(response, dict):
        return ()
    if check == "status_code_conformance":  # what is documented of a body under it
        status = int(response.get("status_code", 0))
        return tuple(f"{response.get('status_code')} answered, and `{v['field']}` {v['message']}"
                     for v in classifier.body_violations(op, status, response)
                     if v.get("rule") == "documented")
    if check != "response_schema_conformance":
        return ()
    return tuple(classifier.schema_violations(op, response))
