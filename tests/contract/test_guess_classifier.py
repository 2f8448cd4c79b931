"""Which refusals of valid input and which property failures rest only on guesses of the spec
(``contract_tests.guesses.Classifier``): no server is started."""

from __future__ import annotations

import pytest

from contract_tests.guesses import Classifier
from contract_tests.target import SPECS


@pytest.fixture(scope="module")
def pro() -> Classifier:
    return Classifier(SPECS["stagepro"], "stagepro")


def _job(body):
    return {"method": "POST", "path": "/jobs", "media_type": "application/json", "body": body}


STYLE = {"type": "virtual-stage",
         "input": {"image_url": "https://example.com/room.jpg", "style": "scandinavian"}}
TOOL = {"type": "listing-tool",
        "input": {"image_url": "https://example.com/room.jpg", "listing_tool": "sky-enhancement"}}


def test_refusing_a_value_only_a_guess_allows_is_a_guess(pro):
    found = pro.acceptance_guesses(pro.operation("createJob"), _job(STYLE), None)
    assert found and all(g.startswith("`input.style`") for g in found)
    named = pro.acceptance_guesses(pro.operation("createJob"), _job(STYLE),
                                   {"error": {"field": "input.style"}})
    assert named == found


def test_refusing_a_documented_value_or_one_the_examples_show_is_documented(pro):
    op = pro.operation("createJob")
    assert pro.acceptance_guesses(op, _job(TOOL), None) == ()
    assert pro.acceptance_guesses(op, _job(TOOL), {"error": {"field": "input.listing_tool"}}) == ()
    shown = {"type": "virtual-stage",
             "input": {"image_url": "https://example.com/room.jpg", "style": "modern"}}
    assert pro.acceptance_guesses(op, _job(shown), None) == ()
    mixed = dict(TOOL, input=dict(TOOL["input"], style="rustic"))
    assert pro.acceptance_guesses(op, _job(mixed), None) == ()  # which value? cannot tell
    # the answer names the guessed field: the refusal is laid on it
    assert pro.acceptance_guesses(op, _job(mixed), {"error": {"field": "input.style"}})
    # invalid input is not "valid input refused"
    assert pro.acceptance_guesses(op, _job(dict(STYLE, type="nope")), None) == ()


def test_status_guesses(pro):
    job = pro.operation("createJob")
    assert pro.status_guesses(job, 201, (202,)) == ()  # 202 for POST /jobs is documented
    assert pro.status_guesses(job, 202, (409,))[0].startswith(  # 409 is ours
        "got 202, the spec's status is 409 (a guess: ")
    assert pro.status_guesses(job, 500, (409,)) == ()
    assert pro.status_guesses(pro.operation("createBatch"), 200)[0].startswith(
        "got 200, the spec's status is 202 (a guess: ")
    assert pro.status_guesses(pro.operation("createBatch"), 400) == ()


def test_rule_guess_reads_the_spec(pro):
    assert "cursors" in pro.rule_guess("/paths/~1jobs/get/parameters/3/schema")
    assert pro.rule_guess("/components/schemas/JobType/enum") is None
    with pytest.raises(KeyError):
        pro.rule_guess("/paths/~1nowhere")


def test_every_rests_on_names_a_rule_of_its_spec():
    import importlib
    from pathlib import Path

    from contract_tests import checks

    suites = Path(checks.__file__).parent / "suites"
    for path in sorted(suites.glob("test_*.py")):
        module = importlib.import_module(f"contract_tests.suites.{path.stem}")
        for fn in vars(module).values():
            for mark in getattr(fn, "pytestmark", []):
                if mark.name == checks.MARKER:
                    for pointer in mark.kwargs.get("rests_on") or ():
                        Classifier(SPECS[mark.kwargs["api"]], mark.kwargs["api"]).rule_guess(
                            pointer)
