"""Every check ``stagemock check`` can report, by name: one registry.

Two kinds:

- **schemathesis**: schemathesis's own checks, by the names schemathesis gives them (its
  NDJSON events name the check of every failure);
- **property**: the tests of ``contract_tests/suites/``, each decorated ``@check("<name>")``;
  several tests may share a name (one per API, or one promise checked two ways).

A mutant (``tests/contract/mutants.py``) names the checks that must catch it (``Mutant.catches``);
``tests/contract/test_checks.py`` fails when a mutant names a check that is not here, when a
check has neither a mutant nor a reason in ``without_mutant``, when a property test carries no
registered name, or when schemathesis's list of checks and this one drift apart.
``stagemock check --check NAME`` runs only the named checks; ``--list-checks`` prints them.

A property test whose premise is a rule the spec marks as a guess names that rule:
``@check(name, api=..., rests_on=("<json pointer into the spec>",))``. A failure the test's
own assertions do not attribute (``suites/helpers.py``) then counts as a guess when one of
those rules is a guess (read from the spec, ``Classifier.rule_guess``): against a server that
is not the mock it is reported apart, as schemathesis's guess-only findings are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, ParamSpec, TypeVar

Kind = Literal["schemathesis", "property"]
#: a property test's parameters (its fixtures) and result: ``@check`` keeps them
P = ParamSpec("P")
R = TypeVar("R")
#: pytest marker the property tests carry (``@check`` adds it): ``name`` and ``api``.
MARKER = "stagemock_check"


@dataclass(frozen=True)
class Check:
    name: str
    kind: Kind
    #: What a failure means, in plain words ("a status code the spec does not document").
    means: str
    #: APIs the check applies to.
    apis: tuple[str, ...] = ("stagepro", "stagerai")
    #: Why no mutant proves this check catches anything (``None``: a mutant must name it).
    without_mutant: str | None = None


CHECKS: dict[str, Check] = {}


def register(check: Check) -> Check:
    if check.name in CHECKS:
        raise ValueError(f"contract check {check.name!r} registered twice")
    CHECKS[check.name] = check
    return check


def get(name: str) -> Check:
    try:
        return CHECKS[name]
    except KeyError:
        raise KeyError(
            f"no contract check named {name!r} (known: {', '.join(sorted(CHECKS))})"
        ) from None


def names(kind: Kind | None = None, api: str | None = None) -> list[str]:
    return [
        c.name
        for c in CHECKS.values()
        if (kind is None or c.kind == kind) and (api is None or api in c.apis)
    ]


def check(
    name: str, *, api: str, rests_on: tuple[str, ...] = ()
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Mark a property test as (one way of) running the registered check ``name`` on ``api``.
    ``rests_on``: JSON pointers into the API's spec, the rules the test presumes (a failure
    of it rests on them: a guess where one of them is). Raises at import when the name is
    not registered or does not apply to the API (a pointer that names nothing in the spec
    stops the property suite at collection)."""
    c = get(name)
    if c.kind != "property":
        raise ValueError(f"{name!r} is a schemathesis check, not a property check")
    if api not in c.apis:
        raise ValueError(f"check {name!r} is declared for {c.apis}, not {api!r}")

    def mark(fn: Callable[P, R]) -> Callable[P, R]:
        import warnings

        import pytest

        fn._stagemock_check = name  # type: ignore[attr-defined]
        with warnings.catch_warnings():  # registered by suites/conftest.py, not by every importer
            warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
            decorator = getattr(pytest.mark, MARKER)
        return decorator(name=name, api=api, rests_on=tuple(rests_on))(fn)

    return mark


_SCHEMATHESIS_OWN = "schemathesis's own check, tested by schemathesis itself"

for _name, _means, _why in [
    ("not_a_server_error", "the server answered 5xx", None),
    ("status_code_conformance", "a status code the spec does not document", None),
    ("content_type_conformance", "a content type the spec does not document", None),
    ("response_headers_conformance", "response headers that violate the spec", _SCHEMATHESIS_OWN),
    ("response_schema_conformance", "a response body that violates its schema", None),
    ("negative_data_rejection", "invalid input was accepted", None),
    ("positive_data_acceptance", "valid input was rejected", None),
    ("missing_required_header", "a missing required header was not rejected", _SCHEMATHESIS_OWN),
    ("unsupported_method", "an undocumented method was not answered 405", _SCHEMATHESIS_OWN),
    ("allow_header_conformance", "405 without a correct Allow header", _SCHEMATHESIS_OWN),
    ("use_after_free", "a deleted resource is still reachable", _SCHEMATHESIS_OWN),
    ("ensure_resource_availability", "a created resource is not available", _SCHEMATHESIS_OWN),
    ("ignored_auth", "authentication is ignored", "auth-ignored is caught by auth_required"),
    ("object_level_authorization", "another account's object is reachable", _SCHEMATHESIS_OWN),
]:
    register(Check(_name, "schemathesis", _means, without_mutant=_why))

for _c in [
    Check("auth_required", "property", "a bad or missing key was not answered 401"),
    Check(
        "terminal_state", "property",
        "a job moved backwards or did not end (and stay ended) within a bounded poll",
        apis=("stagepro",),
    ),
    Check(
        "job_lifecycle", "property",
        "random creates, waits and polls saw a status move backwards or a job never end",
        apis=("stagepro",),
        without_mutant="the promises of terminal_state, driven randomly (slow): its mutants "
        "are the same",
    ),
    Check(
        "idempotent_replay", "property",
        "the same idempotency key and body did not answer the same job (or another body was "
        "not refused 409)",
        apis=("stagepro",),
    ),
    Check("pagination", "property", "pagination repeated or skipped an item, or never ended",
          apis=("stagepro",)),
    Check(
        "object_isolation", "property", "a second account saw the first account's objects",
    ),
    Check(
        "magic_failure", "property", "a magic fail- input did not fail its job with that code",
        apis=("stagepro",), without_mutant="mock-only behaviour, pinned by tests/stagepro",
    ),
    Check(
        "webhook_signature", "property", "a webhook was not signed with the endpoint's secret",
        apis=("stagepro",),
    ),
    Check(
        "signed_upload", "property",
        "the signed-upload flow failed or a tampered signed URL was accepted",
        apis=("stagerai",),
    ),
]:
    register(_c)
