"""Run schemathesis (all checks or the named ones, all phases) against one API; read its structured
output (NDJSON events, JSON report) into `Problem`s."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mock_server.jsontypes import JsonObject
from mock_server.spec.rules import DOCUMENTED, GUESSED, UNSPECIFIED

from .causes import one_cause
from .problems import Problem
from .progress import Progress, SchemathesisEvents, follow
from .st_config import STATE_DEPENDENT, schemathesis_toml
from .target import SPECS, Target

if TYPE_CHECKING:
    from .findings import Finding

#: Operations blind fuzzing cannot drive (a signed URL comes only from hdr-upload-url); the
#: property suite covers them by following the real flow.
NOT_FUZZABLE = {"stagerai": ["putSignedUpload"], "stagepro": []}
ALL_PHASES = "examples,coverage,fuzzing,stateful"

@dataclass
class _Alike:
    """The cases that failed alike (same check, operation and cause): the list their one
    problem goes to, the problem (the first case's curl) and how many cases."""

    into: list[Problem]
    problem: Problem
    count: int = 0


@dataclass
class SchemathesisResult:
    exit_code: int
    report: JsonObject
    output: str
    failures: list[Problem] = field(default_factory=list)
    #: Failures caused only by guessed rules (``x-stagemock-guess``), against a server that is
    #: not the mock: reported apart, they do not fail the run (unless ``--strict-guesses``).
    guesses: list[Problem] = field(default_factory=list)
    #: Failures that rest on nothing the spec covers (a 429 or 5xx the operation does not
    #: declare), against a server that is not the mock: reported apart, never failing.
    unspecified: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 or not self.failures


def _config(workdir: Path, target: Target) -> Path:
    """The schemathesis.toml ``stagemock check --schemathesis-config`` prints, with the
    target's keys, in ``workdir``."""
    path = workdir / "schemathesis.toml"
    path.write_text(schemathesis_toml(target.api, target.api_key,
                                      console_session=target.console_session))
    return path


def command(
    target: Target,
    *,
    seed: int,
    max_examples: int,
    phases: str,
    workdir: Path,
    junit: Path | None,
    exclude: list[str],
    include: list[str],
    workers: int = 1,
    checks: list[str] | None = None,
    max_failures: int | None = None,
) -> list[str]:
    cmd = [
        sys.executable,
        "-c",
        "import sys; from schemathesis.cli import schemathesis; "
        "sys.argv[0] = 'st'; sys.exit(schemathesis())",
        "--config-file",
        str(_config(workdir, target)),
        "run",
        str(SPECS[target.api]),
        "--url",
        target.base_url,
        "--checks",
        ",".join(checks) if checks else "all",
        "--phases",
        phases,
        "--seed",
        str(seed),
        "--max-examples",
        str(max_examples),
        "--generation-database",
        "none",
        "--workers",
        str(workers),
        "--request-timeout",
        "15",
        "--no-color",
        "--output-truncate",
        "true",
        "--report",
        "json,ndjson" + (",junit" if junit else ""),
        "--report-json-path",
        str(workdir / "report.json"),
        "--report-ndjson-path",
        str(workdir / "events.ndjson"),
    ]
    if junit:
        cmd += ["--report-junit-path", str(junit)]
    if max_failures:
        cmd += ["--max-failures", str(max_failures)]
    for op in exclude + NOT_FUZZABLE[target.api]:
        cmd += ["--exclude-operation-id", op]
    for op in include:
        cmd += ["--include-operation-id", op]
    return cmd


def _report_errors(report: JsonObject) -> list[Problem]:
    """The JSON report's errors (not failures of a check: the run itself went wrong)."""
    out = []
    for error in report.get("errors", []) or []:
        title = error.get("title") if isinstance(error, dict) else str(error)
        if title and title != "Missing Open API links":
            ops = error.get("operations") if isinstance(error, dict) else None
            out.append(Problem("schemathesis_error", ", ".join(ops or []) or "-", str(title)))
    return out


def operation_ids(api: str) -> dict[str, str]:
    """'GET /jobs/{id}' → 'getJob' (schemathesis names operations by method and path)."""
    from mock_server.spec.loader import read_document

    doc = read_document(SPECS[api])
    out = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                out[f"{method.upper()} {path}"] = op["operationId"]
    return out


def run_schemathesis(
    target: Target,
    *,
    seed: int = 20260101,
    max_examples: int = 25,
    phases: str = ALL_PHASES,
    junit: Path | None = None,
    exclude: list[str] | None = None,
    include: list[str] | None = None,
    timeout: float = 1800,
    echo: bool = False,
    strict_guesses: bool = False,
    checks: list[str] | None = None,
    progress: Progress | None = None,
    fail_fast: bool = False,
) -> SchemathesisResult:
    """Run schemathesis and read its structured output (the JSON report and the NDJSON
    events, never its console text). Against a server without the control plane, a failure
    caused only by guessed rules goes to ``guesses`` instead of ``failures`` unless
    ``strict_guesses``; against the mock, guesses are enforced like every rule.

    The NDJSON events are read as schemathesis writes them: ``progress`` hears of each
    phase and operation; ``fail_fast`` stops the run at the first failure that counts (a
    guess-only one, reported apart, does not stop it)."""
    from .guesses import Classifier, event_findings

    split_guesses = not target.has_control_plane and not strict_guesses

    def bucket(f: Finding) -> str:
        """Where a finding goes: ``failure`` (documented; everything against the mock, whose
        spec is its contract; a guess with ``--strict-guesses``), ``guess`` or
        ``unspecified`` (reported apart, not failing)."""
        if f.verdict.rule == DOCUMENTED or target.has_control_plane:
            return "failure"
        if f.verdict.rule == GUESSED:
            return "guess" if split_guesses else "failure"
        return UNSPECIFIED

    classifier, ids, credentials = Classifier(SPECS[target.api], target.api), \
        operation_ids(target.api), _credentials(target)
    found: list[Finding] = []
    shown = SchemathesisEvents(progress) if progress is not None else None

    def on_event(event: JsonObject) -> bool:
        if shown is not None:
            shown(event)
        new = event_findings(event, classifier, ids, credentials)
        found.extend(new)
        return fail_fast and any(bucket(f) == "failure" for f in new)

    with tempfile.TemporaryDirectory(prefix="stagemock-contract-") as tmp:
        workdir = Path(tmp)
        cmd = command(
            target,
            seed=seed,
            max_examples=max_examples,
            phases=phases,
            workdir=workdir,
            junit=junit,
            exclude=list(exclude or []),
            include=list(include or []),
            checks=checks,
            # schemathesis's own stop counts every failure, guesses too: only where every
            # failure counts; elsewhere ``on_event`` stops it at a documented one
            max_failures=1 if fail_fast and not split_guesses else None,
        )
        console = workdir / "console.txt"
        with console.open("w") as out:
            returncode = follow(cmd, workdir / "events.ndjson", on_event, timeout=timeout,
                                cwd=workdir, stdout=out, stderr=subprocess.STDOUT, text=True)
        output = console.read_text()
        if echo:
            print(output)
        report_path = workdir / "report.json"
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
    failures, rest = one_cause(found, lambda f: bucket(f) == "failure")
    guesses: list[Problem] = []
    unspecified: list[Problem] = []
    #: one problem per (check, operation, what failed): the first case's curl, then a count
    seen: dict[tuple[str | tuple[str, ...] | None, ...], _Alike] = {}
    for f in rest:
        where = bucket(f)
        if where == "guess":
            key: tuple[str | tuple[str, ...] | None, ...] = (
                "guess", f.check, f.operation, f.guesses)
            if key not in seen:
                problem = Problem(f.check, f.operation, "; ".join(f.guesses), f.curl,
                                  rule=GUESSED, guess=f.verdict.guess)
                seen[key] = _Alike(guesses, problem)
            seen[key].count += 1
            continue
        if f.misplaced:  # an error body answered 2xx: that, not the schema it breaks
            message = f.misplaced
        elif f.detail:  # where and how the body breaks its schema, not the schema itself
            message = f"{f.title}: " + "; ".join(f.detail)
        else:
            message = f.title + (": " + "; ".join(f.message.splitlines()) if f.message else "")
        if f.guesses:  # --strict-guesses, or against the mock: say which guess
            message += " (a guess of the spec: " + "; ".join(f.guesses) + ")"
        if f.check == "positive_data_acceptance" and target.has_control_plane:
            message += (f" (if the mock refuses it because of state, mark the operation "
                        f"`{STATE_DEPENDENT}: [<status>]` in the spec)")
        if f.verdict.rule == DOCUMENTED and f.verdict.source:
            message += f" (documented: {f.verdict.source})"
        key = (where, f.check, f.operation, f.misplaced or f.title, f.guesses)
        if key not in seen:
            seen[key] = _Alike(failures if where == "failure" else unspecified,
                               Problem(f.check, f.operation, message, f.curl,
                                       say_means=not f.misplaced, rule=f.verdict.rule,
                                       source=f.verdict.source, guess=f.verdict.guess))
        seen[key].count += 1
    for alike in seen.values():
        into, problem, count = alike.into, alike.problem, alike.count
        if count > 1:
            problem = dataclasses.replace(
                problem, message=f"{problem.message} (and {count - 1} more case(s) like it)"
            )
        into.append(problem)
    if not found:  # no NDJSON events: the JSON report's failures, without a request
        for failure in report.get("failures", []) or []:
            if isinstance(failure, dict):
                for op in failure.get("operations") or ["-"]:
                    failures.append(Problem("schemathesis", op, str(failure.get("title", "?"))))
    failures += _report_errors(report)
    only_links = not report.get("failures") and [
        e.get("title") for e in report.get("errors", [])
    ] == ["Missing Open API links"]
    if only_links:  # operations were filtered out: stateful phase has nothing to follow
        return SchemathesisResult(0, report, output, [], guesses, unspecified)
    if returncode != 0 and not failures and not guesses and not unspecified:
        why = "without a report" if not report else "reporting no failure"
        failures = [Problem("schemathesis_error", "-",
                            f"schemathesis exited {returncode} {why} (-v prints its output)")]
    return SchemathesisResult(returncode, report, output, failures, guesses, unspecified)


def _credentials(target: Target) -> dict[str, str]:
    """Header (lower case) → value, to put back into the curl of a filtered request."""
    out = {k.lower(): v for k, v in target.auth_headers().items()}
    if target.console_session:
        out["cookie"] = f"stagepro_session={target.console_session}"
    return out
