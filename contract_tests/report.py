"""Run both halves of the suite and print one plain summary. Exit 0 only when nothing
violates the spec.

Guesses (rules the vendors' references do not state, ``x-stagemock-guess``): a failure of
either half that rests only on guesses — a schemathesis finding (``guesses.py``) or a
property test whose JUnit entry carries ``guess`` (``suites/conftest.py``) — is listed in
"the server disagrees with these guesses" and does not fail the run, against a server that
is not the mock; with ``--strict-guesses``, or against the mock (its guesses are its
contract), it is a failure whose message says "(a guess of the spec: …)".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import asdict
from pathlib import Path

from . import checks
from .problems import Problem
from .progress import Progress, PropertyEvents, follow
from .runner import run_schemathesis
from .target import Target

SUITES = Path(__file__).resolve().parent / "suites"
ENV_TARGET = "STAGEMOCK_CONTRACT_TARGET"
#: Comma-separated check names the property suites run (empty: all); read by suites/conftest.
ENV_CHECKS = "STAGEMOCK_CONTRACT_CHECKS"
#: Where the property suites write their progress events (read by suites/conftest).
ENV_PROGRESS = "STAGEMOCK_CONTRACT_PROGRESS"
#: Seconds a job may take to end before the suites say it never completed (suites/helpers).
ENV_JOB_TIMEOUT = "STAGEMOCK_CONTRACT_JOB_TIMEOUT"


def run_properties(
    target: Target, junit: Path | None, seed: int, names: list[str] | None = None,
    strict_guesses: bool = False, progress: Progress | None = None, fail_fast: bool = False,
    job_timeout: float | None = None, unspecified: list[Problem] | None = None,
) -> tuple[int, list[Problem], list[str], list[Problem]]:
    """pytest over ``contract_tests/suites`` (a subprocess), the tests of ``names`` (every
    property check when empty) for ``target.api``; returns (code, problems, skips, guesses):
    ``guesses`` are the failures resting only on guesses of the spec, against a server that
    is not the mock unless ``strict_guesses`` (otherwise they are problems, saying so).
    ``progress`` hears of each test as it ends; ``fail_fast`` stops at the first failing
    test (pytest ``-x``); ``job_timeout``: seconds a job may take to end. Each failing test
    gives one problem per distinct finding, by its verdict (the JUnit property ``findings``):
    a documented one fails, a guess is reported apart (unless ``strict_guesses``), an
    unspecified one goes to ``unspecified`` (reported apart, never failing) against a server
    that is not the mock."""
    split_guesses = not target.has_control_plane and not strict_guesses
    with tempfile.TemporaryDirectory(prefix="stagemock-props-") as tmp:
        xml_path = junit or Path(tmp) / "props.xml"
        env = dict(os.environ)
        env[ENV_TARGET] = json.dumps(asdict(target))
        env[ENV_CHECKS] = ",".join(names or [])
        events = Path(tmp) / "progress.ndjson"
        env[ENV_PROGRESS] = str(events)
        if job_timeout is not None:
            env[ENV_JOB_TIMEOUT] = str(job_timeout)
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            str(SUITES),
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-o",
            "addopts=",
            "-o",
            "junit_suite_name=properties",
            "-rs",
            f"--junitxml={xml_path}",
            f"--hypothesis-seed={seed}",
        ] + (["-x"] if fail_fast else [])
        shown = PropertyEvents(progress) if progress is not None else (lambda event: None)
        console = Path(tmp) / "console.txt"
        with console.open("w") as out:
            returncode = follow(cmd, events, shown, timeout=1800, env=env, cwd=tmp,
                                stdout=out, stderr=subprocess.STDOUT, text=True)
        output = console.read_text()
        failures: list[Problem] = []
        guesses: list[Problem] = []
        skips: list[str] = []
        if xml_path.exists():
            for case in ET.parse(xml_path).getroot().iter("testcase"):
                name = case.get("name", "?")
                props = {p.get("name"): p.get("value", "") for p in case.iter("property")}
                for tag in ("failure", "error"):
                    node = case.find(tag)
                    if node is not None and props.get("findings") and props.get("check"):
                        for found in json.loads(props["findings"]):
                            rule = found.get("rule", "documented")
                            text = found.get("message", "")
                            into = failures
                            if rule == "guess" and split_guesses:
                                text, into = f"{text}; {found.get('guess')}", guesses
                            elif rule == "unspecified" and not target.has_control_plane:
                                into = unspecified if unspecified is not None else guesses
                            elif rule == "guess":
                                text += f" (a guess of the spec: {found.get('guess')})"
                            elif found.get("source"):
                                text += f" (documented: {found['source']})"
                            problem = Problem(
                                props["check"], props.get("operation", "-"), text,
                                props.get("curl", ""), say_means=not props.get("plain"),
                                rule=rule, source=found.get("source"),
                                guess=found.get("guess"))
                            if problem not in into:
                                into.append(problem)
                    elif node is not None:
                        msg = (node.get("message") or "").strip().splitlines()
                        message = props.get("message") or (msg[0] if msg else tag) + f" ({name})"
                        guess = props.get("guess")
                        into = failures
                        if guess and split_guesses:
                            message, into = f"{message}; {guess}", guesses
                        elif guess:
                            message += f" (a guess of the spec: {guess})"
                        problem = Problem(
                            props.get("check", "?"),
                            props.get("operation", "-"),
                            message,
                            props.get("curl", ""),
                            say_means=not props.get("plain"),
                        )
                        if problem not in into:
                            into.append(problem)
                skipped = case.find("skipped")
                if skipped is not None:
                    skips.append(f"{name}: skipped — {skipped.get('message', '').strip()}")
        apart = bool(guesses) or bool(unspecified)
        if returncode not in (0, 5) and not failures and not apart:
            failures.append(Problem(
                "property_suite_error", "-", "property suite crashed:\n" + output[-4000:],
            ))
        code = 0 if (returncode in (0, 5) or apart) and not failures else 1
        return code, failures, skips, guesses


def merge_junit(parts: list[Path], out: Path) -> None:
    """One JUnit file with every part's test suites (schemathesis's and the properties')."""
    root = ET.Element("testsuites")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for part in parts:
        if not part.exists():
            continue
        tree = ET.parse(part).getroot()
        suites = [tree] if tree.tag == "testsuite" else list(tree.iter("testsuite"))
        for suite in suites:
            root.append(suite)
            for key in totals:
                totals[key] += int(suite.get(key, 0) or 0)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)


def _section(head: str, problems: list[Problem]) -> None:
    print(f"\n{head}")
    for problem in problems:
        print("\n".join("  " + ("- " if i == 0 else "  ") + line
                        for i, line in enumerate(problem.lines())))


def write_json(path: Path, target: Target, code: int, problems: list[Problem],
               guesses: list[Problem], unspecified: list[Problem]) -> None:
    """``stagemock check --json FILE``: every finding with its verdict (``rule``, and
    ``source`` or ``guess``), failing ones first; the exit code it gave."""
    findings = [p.as_json() for p in problems + guesses + unspecified]
    path.write_text(json.dumps({"api": target.api, "base_url": target.base_url,
                                "exit": code, "findings": findings}, indent=2) + "\n")


def _split(names: list[str], api: str) -> tuple[list[str], list[str]]:
    """Named checks → (schemathesis's, the properties'); unknown names raise."""
    found = [checks.get(n) for n in names]
    for c in found:
        if api not in c.apis:
            raise KeyError(f"check {c.name!r} does not apply to {api}")
    return ([c.name for c in found if c.kind == "schemathesis"],
            [c.name for c in found if c.kind == "property"])


def run_all(target: Target, args: argparse.Namespace) -> int:
    where = (
        "stagemock control plane found"
        if target.has_control_plane
        else "no /__mock/ control plane: mock-only suites skipped"
    )
    print(f"stagemock check {target.api} against {target.base_url} ({where})")
    named = list(getattr(args, "check", None) or [])
    sm_checks, prop_checks = _split(named, target.api)
    run_sm = not args.no_schemathesis and (not named or bool(sm_checks))
    run_props = not args.no_properties and (not named or bool(prop_checks))
    problems: list[Problem] = []
    guesses: list[Problem] = []
    unspecified: list[Problem] = []
    fail_fast = bool(getattr(args, "fail_fast", False))
    progress = Progress()
    with tempfile.TemporaryDirectory(prefix="stagemock-junit-") as tmp:
        parts = [Path(tmp) / "schemathesis.xml", Path(tmp) / "properties.xml"]
        if run_sm:
            sm = run_schemathesis(
                target,
                seed=args.seed,
                max_examples=args.max_examples,
                phases=args.phases,
                junit=parts[0] if args.junit else None,
                exclude=args.exclude_operation,
                include=args.include_operation,
                echo=args.verbose,
                strict_guesses=getattr(args, "strict_guesses", False),
                checks=sm_checks,
                progress=progress,
                fail_fast=fail_fast,
            )
            progress.clear()
            tc = sm.report.get("test_cases", {})
            verdict = ("VIOLATIONS" if not sm.ok else "guesses differ" if sm.guesses
                       else "no violations")
            print(
                f"schemathesis: {tc.get('generated', '?')} test cases, phases {args.phases}, "
                f"seed {args.seed}"
                + (f", checks {', '.join(sm_checks)}" if sm_checks else "")
                + f": {verdict}"
            )
            problems += sm.failures
            guesses = sm.guesses
            unspecified += sm.unspecified
        if run_props and fail_fast and problems:
            print("property tests: not run (--fail-fast: schemathesis found a problem)")
        elif run_props:
            code, failures, skips, prop_guesses = run_properties(
                target, parts[1] if args.junit else None, args.seed, prop_checks,
                strict_guesses=getattr(args, "strict_guesses", False),
                progress=progress, fail_fast=fail_fast,
                job_timeout=getattr(args, "job_timeout", None), unspecified=unspecified,
            )
            progress.clear()
            verdict = "VIOLATIONS" if code else "guesses differ" if prop_guesses else "ok"
            print(
                f"property tests: {verdict}"
                + (f", {len(skips)} skipped" if skips else "")
            )
            for skip in skips:
                print(f"  {skip}")
            problems += failures
            guesses = guesses + prop_guesses
        if args.junit:
            merge_junit(parts, args.junit)
    code = 1 if problems else 0
    if getattr(args, "json", None):
        write_json(args.json, target, code, problems, guesses, unspecified)
    if unspecified:
        _section(f"outside the spec: {len(unspecified)} answer(s) the spec does not cover (a "
                 "status an operation does not declare, such as a 429 or a 5xx); they do not "
                 "fail the run:", unspecified)
    if guesses:
        _section(f"the server disagrees with these guesses: {len(guesses)} rule(s) the "
                 "vendor's reference does not state (x-stagemock-guess; docs/FIDELITY.md), so "
                 "they do not fail the run (--strict-guesses makes them fail):", guesses)
    if problems:
        _section(f"{len(problems)} problem(s):", problems)
        return 1
    if guesses or unspecified:
        print("\nOK: nothing violates the documented rules of the spec")
        return 0
    print("\nOK: nothing violates the spec")
    return 0
