"""Run both halves of the suite and print one plain summary. Exit 0 only when nothing
violates the spec."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .runner import run_schemathesis
from .target import Target

SUITES = Path(__file__).resolve().parent / "suites"
ENV_TARGET = "STAGEMOCK_CONTRACT_TARGET"


def run_properties(
    target: Target, junit: Path | None, seed: int, selector: str | None = None
) -> tuple[int, list[str], list[str]]:
    """pytest over ``contract_tests/suites`` (a subprocess); returns (code, failures, skips)."""
    with tempfile.TemporaryDirectory(prefix="stagemock-props-") as tmp:
        xml_path = junit or Path(tmp) / "props.xml"
        env = dict(os.environ)
        env[ENV_TARGET] = json.dumps(asdict(target))
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
            "-rs",
            f"--junitxml={xml_path}",
            "-k",
            target.api if not selector else f"{target.api} and ({selector})",
            f"--hypothesis-seed={seed}",
        ]
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=env, check=False, cwd=tmp, timeout=1800
        )
        failures, skips = [], []
        if xml_path.exists():
            for case in ET.parse(xml_path).getroot().iter("testcase"):
                name = case.get("name", "?")
                for tag in ("failure", "error"):
                    node = case.find(tag)
                    if node is not None:
                        msg = (node.get("message") or "").strip().splitlines()
                        failures.append(f"{name}: {msg[0] if msg else tag}")
                skipped = case.find("skipped")
                if skipped is not None:
                    skips.append(f"{name}: skipped — {skipped.get('message', '').strip()}")
        if proc.returncode not in (0, 5) and not failures:
            failures.append("property suite crashed:\n" + proc.stdout[-2000:] + proc.stderr[-2000:])
        code = 0 if proc.returncode in (0, 5) and not failures else 1
        return code, failures, skips


def run_all(target: Target, args: Any) -> int:
    where = (
        "stagemock control plane found"
        if target.has_control_plane
        else "no /__mock/ control plane: mock-only suites skipped"
    )
    print(f"stagemock check {target.api} against {target.base_url} ({where})")
    problems: list[str] = []
    guesses: list[str] = []
    if not args.no_schemathesis:
        sm = run_schemathesis(
            target,
            seed=args.seed,
            max_examples=args.max_examples,
            phases=args.phases,
            junit=args.junit,
            exclude=args.exclude_operation,
            include=args.include_operation,
            echo=args.verbose,
            strict_guesses=getattr(args, "strict_guesses", False),
        )
        tc = sm.report.get("test_cases", {})
        verdict = "VIOLATIONS" if not sm.ok else "guesses differ" if sm.guesses else "no violations"
        print(
            f"schemathesis: {tc.get('generated', '?')} test cases, phases {args.phases}, "
            f"seed {args.seed}: {verdict}"
        )
        problems += [f"[schemathesis] {line}" for line in sm.failures]
        guesses = sm.guesses
    if not args.no_properties:
        props_junit = None
        if args.junit:
            props_junit = args.junit.with_name(args.junit.stem + ".properties.xml")
        code, failures, skips = run_properties(
            target, props_junit, args.seed, args.properties_filter
        )
        print(
            f"property tests: {'ok' if code == 0 else 'VIOLATIONS'}"
            + (f", {len(skips)} skipped" if skips else "")
        )
        for skip in skips:
            print(f"  {skip}")
        problems += [f"[property] {line}" for line in failures]
    if guesses:
        print(
            f"\nthe server disagrees with these guesses: {len(guesses)} rule(s) the vendor's "
            "reference does not state (x-stagemock-guess; docs/FIDELITY.md), so they do not "
            "fail the run (--strict-guesses makes them fail):"
        )
        for line in guesses:
            print(f"  - {line}")
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for line in problems:
            print(f"  - {line}")
        return 1
    if guesses:
        print("\nOK: nothing violates the documented rules of the spec")
        return 0
    print("\nOK: nothing violates the spec")
    return 0
