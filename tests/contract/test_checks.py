"""The registry of contract checks (``contract_tests/checks.py``) and what hangs on it stay in
step: mutants name checks that exist, every check is proven by a mutant or says why not, every
property test carries a registered name, schemathesis's list of checks is ours, and the
state-dependent refusals live with the operations in the specs. No server is started."""

from __future__ import annotations

import inspect
from pathlib import Path

import httpx
import pytest
import yaml

from contract_tests import checks, runner
from contract_tests.curl import as_curl, from_interaction, operation_of
from contract_tests.problems import Problem
from contract_tests.st_config import STATE_DEPENDENT, marks
from contract_tests.target import SPECS, Target
from tests.contract import catalogue
from tests.contract.mutants import MUTANTS

SUITES = Path(checks.__file__).parent / "suites"
ROOT = Path(__file__).resolve().parents[2]


def test_every_mutant_names_registered_checks_of_its_api():
    for m in MUTANTS:
        assert m.catches, f"mutant {m.name} names no check"
        for name in m.catches:
            assert name in checks.CHECKS, f"mutant {m.name} names {name!r}: no such check"
            assert m.api in checks.CHECKS[name].apis, f"mutant {m.name}: {name} is not for {m.api}"


def test_every_check_has_a_mutant_or_says_why_not():
    caught = {n for m in MUTANTS for n in m.catches}
    for c in checks.CHECKS.values():
        if c.without_mutant is None:
            assert c.name in caught, f"no mutant proves that {c.name!r} catches anything"
        else:
            assert c.name not in caught, f"{c.name!r} has a mutant: drop its without_mutant"


def test_the_docs_list_every_check_and_mutant_from_the_registries():
    page = catalogue.PAGE.read_text()
    assert page == catalogue.render(page), (
        f"docs/contract-tests.md lists checks or mutants that are stale: run "
        f"`{catalogue.REGEN}`"
    )
    for m in MUTANTS:
        assert m.breaks, f"mutant {m.name}: say what it breaks (Mutant.breaks)"
    names = {m.name for m in MUTANTS}
    assert len(names) == len(MUTANTS), "two mutants share a name"


def test_every_check_named_in_the_docs_is_registered():
    import re

    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    named = {(p.name, n) for p in pages
             for n in re.findall(r"--check\s+([a-z_]+)\b", p.read_text())}
    assert named, "no `--check NAME` in the docs: the pattern is broken"
    unknown = sorted((page, n) for page, n in named if n not in checks.CHECKS)
    assert not unknown, f"--check names no registered check: {unknown}"


def test_the_registry_has_every_schemathesis_check():
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    theirs = {getattr(f, "__name__", type(f).__name__) for f in CHECKS.get_all()}
    assert theirs == set(checks.names("schemathesis"))


def _property_tests():
    import importlib

    for path in sorted(SUITES.glob("test_*.py")):
        module = importlib.import_module(f"contract_tests.suites.{path.stem}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("test_") and fn.__module__ == module.__name__:
                yield name, fn


def test_every_property_test_runs_a_registered_check_and_every_check_has_a_test():
    seen: set[tuple[str, str]] = set()
    for name, fn in _property_tests():
        marks = [m for m in getattr(fn, "pytestmark", []) if m.name == checks.MARKER]
        assert len(marks) == 1, f"{name} must carry exactly one @check(...)"
        seen.add((marks[0].kwargs["name"], marks[0].kwargs["api"]))
    for c in checks.CHECKS.values():
        if c.kind == "property":
            for api in c.apis:
                assert (c.name, api) in seen, f"check {c.name!r} has no test for {api}"


def test_check_refuses_unknown_names():
    with pytest.raises(KeyError, match="no contract check named 'nope'"):
        checks.check("nope", api="stagepro")
    with pytest.raises(ValueError):
        checks.check("terminal_state", api="stagerai")


def test_state_dependent_refusals_live_in_the_spec(tmp_path, monkeypatch):
    for api in ("stagepro", "stagerai"):
        declared = marks(api)
        assert declared, f"{api}: no operation declares {STATE_DEPENDENT}"
        ids = set(runner.operation_ids(api).values())
        assert set(declared) <= ids
        target = Target(api, "http://127.0.0.1:1", "k", None)
        text = runner._config(tmp_path, target).read_text()
        for op, statuses in declared.items():
            assert f'include-operation-id = "{op}"' in text
            assert all(f'"{s}"' in text for s in statuses)
    # read from the spec, not a list of the runner's: a spec that marks another operation
    doc = yaml.safe_load(SPECS["stagepro"].read_text())
    doc["paths"]["/usage"]["get"][STATE_DEPENDENT] = [400]
    marked = tmp_path / "stagepro.yaml"
    marked.write_text(yaml.safe_dump(doc))
    monkeypatch.setitem(SPECS, "stagepro", marked)
    assert marks("stagepro")["getUsage"] == [400]
    monkeypatch.undo()
    assert "createJob" in marks("stagepro")
    assert "uploadImage" in marks("stagerai")
    assert SPECS  # the specs are where they are declared


def test_a_problem_names_check_operation_message_and_curl():
    request = httpx.Request(
        "POST", "http://127.0.0.1:9/api/v1/jobs", json={"type": "edit"},
        headers={"Authorization": "Bearer sk_test_abc"},
    )
    curl = as_curl(request)
    assert curl.startswith("curl -X POST") and "'authorization: Bearer sk_test_abc'" in curl
    assert """--data-binary '{"type":"edit"}'""" in curl
    op = operation_of("stagepro", "GET", "/api/v1/jobs/job_1", "http://127.0.0.1:9/api/v1")
    assert op == "getJob (GET /jobs/{id})"
    lines = Problem("terminal_state", op, "GET /api/v1/jobs/job_1 answered 200 without `status`",
                    curl).lines()
    assert lines[0].startswith("[terminal_state] getJob (GET /jobs/{id}): a job moved backwards")
    assert lines[1].strip() == curl


def test_a_live_key_never_lands_in_a_curl():
    live = httpx.Request("GET", "http://x/api/v1/usage", headers={"Authorization": "Bearer sk_live_1"})
    assert "sk_live_1" not in as_curl(live) and '"Authorization: Bearer $STAGEMOCK_API_KEY"' in \
        as_curl(live).replace("authorization", "Authorization")
    recorded = {"method": "GET", "uri": "http://x/api/usage",
                "headers": {"stager-api-key": ["[Filtered]"]}}
    assert "'stager-api-key: stager_test_k'" in from_interaction(
        recorded, {"stager-api-key": "stager_test_k"})
    assert "$STAGEMOCK_API_KEY" in from_interaction(recorded, None)


def test_a_credential_made_up_by_the_check_is_not_replaced_by_the_good_key():
    """ignored_auth sends an invalid key on purpose; the curl must not put the real one back."""
    recorded = {"method": "GET", "uri": "http://x/api/v1/usage",
                "headers": {"Authorization": ["[Filtered]"]}}
    curl = from_interaction(recorded, {"authorization": "Bearer sk_test_k"}, "ignored_auth")
    assert "sk_test_k" not in curl and "'Authorization: Bearer not-a-valid-key'" in curl
    other = from_interaction(recorded, {"authorization": "Bearer sk_test_k"}, "not_a_server_error")
    assert "'Authorization: Bearer sk_test_k'" in other
