"""Run schemathesis (all checks, all phases) against one API and summarise in plain words."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .target import SPECS, Target

#: Statuses a schema-valid request may legitimately get: live keys run out of credits (402)
#: or storage (403), ids generated from the schema do not exist (404), state conflicts (409),
#: expired uploads or sessions (422).
POSITIVE_OK = ["2xx", "3xx", "401", "402", "403", "404", "409", "422", "429"]
#: Operations whose schema-valid input can still be refused with 400 because validity depends
#: on state the schema cannot see (a webhook endpoint id that is not active, a cursor this
#: server did not issue, bytes that are not an image, an 8th bracket). For these only,
#: ``positive_data_acceptance`` also accepts 400; every other check stays as strict.
STATE_DEPENDENT = [
    "createJob", "regenerateJob", "createBatch", "createWorkflow", "createUpload", "listJobs",
    "createAgentSession", "renderAgentSession", "createWebhook",
    "uploadImage", "createHdrUploadUrl", "enhanceHdrImageGroup", "createHdrImageGroup",
]
#: Operations blind fuzzing cannot drive (a signed URL comes only from hdr-upload-url); the
#: property suite covers them by following the real flow.
NOT_FUZZABLE = {"stagerai": ["putSignedUpload"], "stagepro": []}
ALL_PHASES = "examples,coverage,fuzzing,stateful"

PLAIN = {
    "not_a_server_error": "the server answered 5xx",
    "status_code_conformance": "a status code the spec does not document",
    "content_type_conformance": "a content type the spec does not document",
    "response_headers_conformance": "response headers that violate the spec",
    "response_schema_conformance": "a response body that violates its schema",
    "negative_data_rejection": "invalid input was accepted",
    "positive_data_acceptance": "valid input was rejected",
    "missing_required_header": "a missing required header was not rejected",
    "unsupported_method": "an undocumented method was not answered 405",
    "allow_header_conformance": "405 without a correct Allow header",
    "use_after_free": "a deleted resource is still reachable",
    "ensure_resource_availability": "a created resource is not available",
    "ignored_auth": "authentication is ignored",
    "object_level_authorization": "another account's object is reachable",
}


@dataclass
class SchemathesisResult:
    exit_code: int
    report: dict[str, Any]
    output: str
    failures: list[str] = field(default_factory=list)
    #: Failures caused only by guessed rules (``x-stagemock-guess``), against a server that is
    #: not the mock: reported apart, they do not fail the run (unless ``--strict-guesses``).
    guesses: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 or not self.failures


def _config(workdir: Path, target: Target) -> Path:
    path = workdir / "schemathesis.toml"
    ops = set(operation_ids(target.api).values())
    statuses = ", ".join(f'"{s}"' for s in POSITIVE_OK)
    lenient = ", ".join(f'"{s}"' for s in POSITIVE_OK + ["400"])
    text = f"[checks.positive_data_acceptance]\nexpected-statuses = [{statuses}]\n"
    # Credentials go through schemathesis's auth (one entry per security scheme), so that its
    # missing/invalid-credential tests really remove them.
    if target.api == "stagepro":
        text += f'\n[auth.openapi.ApiKeyAuth]\nbearer = "{target.api_key}"\n'
        if target.console_session:
            text += f'\n[auth.openapi.ConsoleSession]\napi_key = "{target.console_session}"\n'
    else:
        text += f'\n[auth.openapi.StagerApiKey]\napi_key = "{target.api_key}"\n'
    for op in (o for o in STATE_DEPENDENT if o in ops):
        text += (
            f'\n[[operations]]\ninclude-operation-id = "{op}"\n'
            f"checks.positive_data_acceptance.expected-statuses = [{lenient}]\n"
        )
    path.write_text(text)
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
        "all",
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
    for op in exclude + NOT_FUZZABLE[target.api]:
        cmd += ["--exclude-operation-id", op]
    for op in include:
        cmd += ["--include-operation-id", op]
    return cmd


def summarise(report: dict[str, Any]) -> list[str]:
    """One plain line per (operation, check) that failed."""
    lines: list[str] = []
    for failure in report.get("failures", []) or []:
        if not isinstance(failure, dict):
            lines.append(str(failure))
            continue
        label = failure.get("operation") or failure.get("label") or failure.get("title") or "?"
        checks = failure.get("checks") or failure.get("failures") or [failure]
        for check in checks if isinstance(checks, list) else [checks]:
            if not isinstance(check, dict):
                continue
            name = check.get("name") or check.get("check") or check.get("code") or ""
            title = check.get("title") or check.get("message") or ""
            plain = PLAIN.get(name, "")
            text = f"{label}: {name}" + (f" — {plain}" if plain else "")
            if title and title not in text:
                text += f" ({title})"
            if text not in lines:
                lines.append(text)
    for error in report.get("errors", []) or []:
        title = error.get("title") if isinstance(error, dict) else str(error)
        if title and title != "Missing Open API links":
            lines.append(f"error: {title}")
    return lines


KEYWORDS = (
    ("content-type", "wrong content type: the response's content type is not in the spec"),
    ("status code", "wrong status code: the spec does not document it"),
    ("violates schema", "response body violates its schema (a field missing or wrong)"),
    ("server error", "the server answered 5xx"),
    ("accepted", "invalid input was accepted (should be 4xx)"),
    ("rejected", "valid input was rejected"),
    ("auth", "authentication is not enforced (401 expected)"),
    ("method", "an undocumented method was not answered 405"),
    ("allow", "405 without a correct Allow header"),
    ("header", "a required header is missing or wrong"),
)


def plain(title: str) -> str:
    low = title.lower()
    for key, words in KEYWORDS:
        if key in low:
            return words
    return ""


def operation_ids(api: str) -> dict[str, str]:
    """'GET /jobs/{id}' → 'getJob' (schemathesis names operations by method and path)."""
    import yaml

    doc = yaml.safe_load(SPECS[api].read_text())
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
) -> SchemathesisResult:
    """Run schemathesis and read its structured output (the JSON report and the NDJSON
    events, never its console text). Against a server without the control plane, a failure
    caused only by guessed rules goes to ``guesses`` instead of ``failures`` unless
    ``strict_guesses``; against the mock, guesses are enforced like every rule."""
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
        )
        proc = subprocess.run(
            cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout, check=False
        )
        output = proc.stdout + proc.stderr
        if echo:
            print(output)
        report_path = workdir / "report.json"
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        found = _findings(workdir / "events.ndjson", target.api)
    split_guesses = not target.has_control_plane and not strict_guesses
    failures: list[str] = []
    guesses: list[str] = []
    for f in found:
        if f.guesses and split_guesses:
            for why in f.guesses:
                line = f"{f.operation}: {why} — request: {f.request}"
                if line not in guesses:
                    guesses.append(line)
            continue
        words = plain(f.title) or PLAIN.get(f.check, "")
        line = f"{f.operation}: {f.title}" + (f" — {words}" if words else "")
        if f.guesses:  # --strict-guesses, or against the mock: say which guess
            line += " (a guess of the spec: " + "; ".join(f.guesses) + ")"
        if line not in failures:
            failures.append(line)
    if not found:
        failures = summarise(report)
    else:
        failures += [line for line in summarise(report) if line.startswith("error: ")]
    only_links = not report.get("failures") and [
        e.get("title") for e in report.get("errors", [])
    ] == ["Missing Open API links"]
    if only_links:  # operations were filtered out: stateful phase has nothing to follow
        return SchemathesisResult(0, report, output, [], guesses)
    if proc.returncode != 0 and not failures and not guesses:
        tail = "\n".join(output.strip().splitlines()[-15:])
        failures = [f"schemathesis exited {proc.returncode}:\n{tail}"]
    return SchemathesisResult(proc.returncode, report, output, failures, guesses)


def _findings(ndjson: Path, api: str) -> list[Any]:
    from .guesses import Classifier, findings

    return findings(ndjson, Classifier(SPECS[api], api), operation_ids(api))
