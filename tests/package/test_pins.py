"""The extras never downgrade a user's pytest (issue 34: ``pip install "stagemock[xdist]"``
took pytest 9.2.0 down to 9.1.1 through a ``<9.2`` pin nothing needed). Every extra that
names pytest names the same range, that range goes as far as schemathesis's own (its pytest
plugin is what the contract extra runs), and the pytest this suite runs on is inside it: with
pytest 9.2 installed, the whole suite is the proof that 9.2 works. The same holds for the base
install's jsonschema-rs, which schemathesis caps: ``[contract]`` after a plain install took
0.61.2 down to 0.60.3."""

from __future__ import annotations

import tomllib
from importlib.metadata import requires, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def _pytest_specifiers() -> dict[str, str]:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    return {name: str(req.specifier) for name, reqs in extras.items()
            for req in map(Requirement, reqs) if req.name == "pytest"}


def test_every_extra_names_one_pytest_range_as_wide_as_schemathesis_allows():
    ranges = _pytest_specifiers()
    assert set(ranges) == {"contract", "xdist"}, ranges
    assert len(set(ranges.values())) == 1, ranges
    ours = Requirement(f"pytest{ranges['contract']}").specifier
    theirs = next(Requirement(r).specifier for r in requires("schemathesis") or []
                  if Requirement(r).name == "pytest" and Requirement(r).marker is None)
    for release in ("9.0.0", "9.1.1", "9.2.0", "9.9.0"):
        assert (Version(release) in ours) == (Version(release) in theirs), (release, ours, theirs)
    assert Version("9.2.0") in ours


def test_the_pytest_running_this_suite_is_in_the_range():
    (spec,) = set(_pytest_specifiers().values())
    assert Version(version("pytest")) in Requirement(f"pytest{spec}").specifier


def test_the_base_jsonschema_rs_range_ends_where_schemathesis_ends_it():
    base = next(Requirement(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())[
        "project"]["dependencies"] if Requirement(r).name == "jsonschema-rs")
    theirs = next(Requirement(r).specifier for r in requires("schemathesis") or []
                  if Requirement(r).name == "jsonschema-rs")
    for release in ("0.61.0", "0.61.2", "0.62.0", "1.0.0"):
        assert (Version(release) in base.specifier) == (Version(release) in theirs), release
