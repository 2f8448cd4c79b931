"""Documented vs guessed (issue 14): the marks in the specs, what they cover, and
docs/FIDELITY.md generated from them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mock_server.spec import fidelity
from mock_server.spec.guesses import SUFFIX, all_guesses, guess_at
from tests.vendor import reference

ROOT = Path(__file__).resolve().parents[2]


def _doc(api: str) -> dict:
    return yaml.safe_load((ROOT / "openapi" / f"{api}.yaml").read_text())


def test_fidelity_md_is_generated_and_fresh():
    committed = (ROOT / "docs" / "FIDELITY.md").read_text()
    assert committed == fidelity.render(ROOT / "openapi"), (
        "docs/FIDELITY.md is stale: run `python -m mock_server.spec.fidelity --write`"
    )


def test_fidelity_md_lists_operations_rules_and_guesses():
    text = fidelity.render(ROOT / "openapi")
    spec = yaml.safe_load((ROOT / "openapi" / "stagepro.yaml").read_text())
    tools = len(spec["components"]["schemas"]["ListingTool"]["enum"])  # counted, never written
    for needle in ("## StagePro v1", "## Stager AI v1", "`createBatch` | `POST /batches`",
                   "`/components/schemas/Style`",
                   f"`/components/schemas/ListingTool` | enum ({tools}",
                   "every request object (additionalProperties)", "`stageImage`"):
        assert needle in text, needle


S = ["components", "schemas"]


@pytest.mark.parametrize(
    "api, path",
    [
        ("stagepro", S + ["Style", "enum"]),
        ("stagepro", S + ["RoomType", "enum"]),
        ("stagepro", S + ["AspectRatio", "enum"]),
        ("stagepro", S + ["JobOptions", "properties", "creativity", "maximum"]),
        ("stagepro", S + ["ImageUrl", "maxLength"]),
        ("stagepro", S + ["BatchCreate", "properties", "photos", "maxItems"]),
        ("stagepro", S + ["Metadata", "additionalProperties", "maxLength"]),
        ("stagepro", S + ["JobInput", "additionalProperties"]),  # strict bodies, marked once
        ("stagepro", S + ["JobEvent", "required"]),  # the webhook envelope
        ("stagepro", ["components", "parameters", "SignatureHeader", "schema", "pattern"]),
        ("stagerai", S + ["StageImageRequest", "additionalProperties"]),
        ("stagerai", S + ["StageImageRequest", "required"]),
        ("stagerai", S + ["StageImageRequest", "properties", "colorTypes", "maxItems"]),
        ("stagerai", S + ["ExtraInstructions", "maxLength"]),
    ],
)
def test_guessed_rules_map_back_to_their_guess(api, path):
    doc = _doc(api)
    assert guess_at(doc, doc, path), path


@pytest.mark.parametrize(
    "api, path",
    [
        ("stagepro", S + ["ListingTool", "enum"]),  # the 23 tools of the reference
        ("stagepro", S + ["WorkflowTemplate", "enum"]),  # its 6 templates
        ("stagepro", S + ["JobType", "enum"]),
        ("stagepro", S + ["JobCreate", "required"]),
        ("stagepro", S + ["Style", "type"]),  # a value's JSON type is never a guess
        ("stagerai", S + ["RoomType", "enum"]),
        ("stagerai", S + ["RoomStyle", "enum"]),
        ("stagerai", S + ["ColorType", "enum"]),
        ("stagerai", S + ["Resolution", "enum"]),
    ],
)
def test_documented_rules_stay_unmarked(api, path):
    doc = _doc(api)
    assert guess_at(doc, doc, path) is None, path


def test_the_references_own_values_are_never_guesses():
    """Every value of an unmarked enum the reference lists appears in it (and the marked
    ones are exactly those whose values the reference does not list)."""
    pro, stager = reference("stagepro"), reference("stagerai")
    doc = _doc("stagepro")
    for name in ("ListingTool", "WorkflowTemplate", "JobType"):
        for value in doc["components"]["schemas"][name]["enum"]:
            assert value in pro, (name, value)
    assert not all(v in pro for v in doc["components"]["schemas"]["Style"]["enum"])
    doc = _doc("stagerai")
    for name in ("RoomType", "RoomStyle", "ColorType", "Resolution", "ActionType", "LawnType",
                 "SkyType", "SkySubType"):
        for value in doc["components"]["schemas"][name]["enum"]:
            assert value in stager, (name, value)


def test_every_guess_has_a_one_line_reason():
    for api in ("stagepro", "stagerai"):
        for pointer, _keyword, why in all_guesses(_doc(api)):
            assert why.strip() and "\n" not in why and len(why) < 240, (api, pointer)


def test_admin_spec_says_the_extensions_are_the_only_mock_specific_content():
    text = (ROOT / "openapi" / "admin.yaml").read_text()
    assert "nothing mock-only appears in the vendor specs" not in text
    assert "x-stagemock-guess" in text


def test_suffix_wording():
    assert SUFFIX == "(an undocumented rule of this mock; the real API may accept it)"


def test_the_timing_guesses_state_the_defaults():
    """The fast default job duration is a marked guess whose numbers are the mock's own
    (the StagePro reference says typical jobs take 10–30 s; Stager AI's gives none)."""
    from mock_server import Settings
    from mock_server.stagepro.jobs import JobEngine

    pro = _doc("stagepro")["paths"]["/jobs/{id}"]["get"]["x-stagemock-timing"]
    stager = _doc("stagerai")["paths"]["/api/hdr-image-group/{groupId}"]["get"][
        "x-stagemock-timing"]
    seconds = Settings().job_seconds
    pickup = JobEngine.__dataclass_fields__["pickup_seconds"].default
    assert (pro["processing_seconds"], pro["queued_seconds"]) == (seconds, pickup)
    assert stager["processing_seconds"] == seconds
    assert "10-30" in pro["x-stagemock-guess"] and "10–30" in reference("stagepro")
    for timing in (pro, stager):
        assert timing["option"] == "--job-seconds" and timing["x-stagemock-guess"]
    assert "/x-stagemock-timing" in fidelity.render(ROOT / "openapi")


def test_no_claim_about_curl_examples_the_stager_reference_does_not_have():
    """Stager AI's reference has no curl commands: what the spec and docs say about a
    missing Content-Type rests on its list of required headers instead."""
    assert "curl" not in reference("stagerai").lower()
    for path in ("openapi/stagerai.yaml", "docs/stagerai.md"):
        text = " ".join((ROOT / path).read_text().split())
        assert "reference's curl" not in text and "the reference's examples send" not in text
