"""The fidelity ledger (issues 23 and 30): every name, value and structural rule of the vendor
specs is either cited (``openapi/sources/<api>.yaml`` names the line of the vendor's reference
that shows it), marked ``x-stagemock-guess``, or marked ``x-stagemock-documented: <section of
the reference>`` (a rule the reference states in words).

The walk and the classification are ``mock_server/spec/ledger.py``'s (its docstring lists what
is walked); the citation tables and the meaning check are ``mock_server/spec/citations.py``'s.
Every citation is held to its meaning: the cited line shows the token in the role of the item's
kind, in a section documenting one of the item's operations, on the item's side (request or
response). Planted coincidences (the heading "1. Create a Project" for a ``minimum: 1``,
"integration code" for a failed job's ``code``) are refused. A failure names each item (JSON
pointer, kind and token). Without the references (a clone outside the workspace) the tests
that read them skip, saying so (``tests/vendor.py``).

Then the prose: behaviour a spec states only in a ``description`` (:data:`PROSE_RULES`) is
classified the same way, by a mark on the node whose description states it:
``x-stagemock-guess`` (on it or an enclosing node), ``x-stagemock-guess-keywords:
{description: why}``, or ``x-stagemock-documented`` (``{description: <section>}`` for the
prose alone).
"""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from mock_server.spec import citation_check, citations, ledger
from mock_server.spec.guesses import GUESS, GUESS_KEYWORDS
from mock_server.spec.loader import read_document
from tests.vendor import reference

ROOT = Path(__file__).resolve().parents[2]
APIS = ("stagepro", "stagerai")


def _doc(api: str) -> dict[str, Any]:
    """A fresh copy of the spec (a test may change it), parsed once per API."""
    return copy.deepcopy(read_document(ROOT / "openapi" / f"{api}.yaml"))


@pytest.mark.parametrize("api", APIS)
def test_every_item_is_cited_documented_or_guessed(api):
    found = ledger.items(_doc(api), ledger.load_sources(api))
    unclassified = [f"{i.pointer} {i.kind} {i.token!r}" for i in found if i.mark is None]
    assert not unclassified, (
        f"{len(unclassified)} item(s) of openapi/{api}.yaml are neither cited by "
        f"openapi/sources/{api}.yaml nor marked (x-stagemock-guess: <why>, or "
        "x-stagemock-documented: <section>):\n  " + "\n  ".join(unclassified))


@pytest.mark.parametrize("api", APIS)
def test_every_citation_holds_its_meaning(api):
    """Each cited line shows the item's token in the role of its kind, in a section that
    documents one of the item's operations, on the item's side (request or response)."""
    document, sources, text = _doc(api), ledger.load_sources(api), reference(api)
    walked = {(i.pointer, i.token): i for i in ledger.items(document)}
    wrong = []
    for (where, token), _line in sources.cites.items():
        item = walked.get((where, token))
        if item is None:
            wrong.append(f"{where} {token!r}: no such item in the ledger")
            continue
        why = citation_check.meaning(document, sources, item.kind, where, token, text, item.name)
        if why is not None:
            wrong.append(f"{where} {item.kind} {token!r}: {why}")
    assert not wrong, "citations that do not hold:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("api", APIS)
def test_a_cited_item_carries_no_mark_of_its_own(api):
    """A citation wins over an enclosing guess (a read's guessed ``200`` does not make the
    cited ``status`` of its body a guess); a mark on the item itself plus a citation is a
    contradiction."""
    both = ledger.contradictions(_doc(api), ledger.load_sources(api))
    assert not both, [f"{i.pointer} {i.token!r}" for i in both]


@pytest.mark.parametrize("api", APIS)
def test_the_table_names_its_reference_and_whole_lines_as_sections(api):
    text = reference(api)
    sources = ledger.load_sources(api)
    assert sources.file.startswith({"stagepro": "000_", "stagerai": "001_"}[api])
    assert sources.url.startswith("https://")
    lines = text.splitlines()
    operations = set(citation_check.reach(_doc(api))) | {citation_check.ALL}
    for section in sources.sections:
        assert lines[section.line - 1].strip() == section.title, section
        assert set(section.operations) <= operations, section
    assert [s.line for s in sources.sections] == sorted(s.line for s in sources.sections)


@pytest.mark.parametrize("api, pointer, token, line", [
    # the heading "1. Create a Project" is no lower bound of an image's width
    ("stagerai", "/components/schemas/Image/properties/width/minimum", "1", 31),
    # "no REST integration code required" is not a failed job's error code
    ("stagepro", "/components/schemas/JobError/properties/code", "code", 204),
    # "npm name" is not a listing tool's name
    ("stagepro", "/components/schemas/ListingToolInfo/properties/name", "name", 206),
    # "form field file" is not the error body's field
    ("stagepro", "/components/schemas/Error/properties/error/properties/field", "field", 102),
    # "400 — validation error" is not the error body's `error` field
    ("stagepro", "/components/schemas/Error/properties/error", "error", 232),
    # the chat request's "message" is not the reply's
    ("stagepro", "/components/schemas/AgentReply/properties/message", "message", 185),
    # a batch photo's label is no room type
    ("stagepro", "/components/schemas/RoomType/enum", "kitchen", 138),
    # the request example's `type` is not the job body's (no job body is shown)
    ("stagepro", "/components/schemas/Job/properties/type", "type", 40),
    # "Poll every 3–5 seconds" is not the creativity range
    ("stagepro", "/components/schemas/JobOptions/properties/creativity/maximum", "5", 95),
    # a host name is no path segment
    ("stagerai", "/paths/~1api~1projects", "api", 14),
])
def test_a_coincidental_citation_is_refused(api, pointer, token, line):
    document, text = _doc(api), reference(api)
    real = ledger.load_sources(api)
    planted = citations.Sources(real.file, real.title, real.url, real.sections,
                                {**real.cites, (pointer, token): line})
    kind = next(i.kind for i in _items(api) if (i.pointer, i.token) == (pointer, token))
    assert citation_check.meaning(document, planted, kind, pointer, token, text) is not None


def test_a_sound_citation_is_accepted_and_named():
    document, text = _doc("stagepro"), reference("stagepro")
    sources = ledger.load_sources("stagepro")
    pointer = "/components/schemas/JobStatus/enum"
    assert citation_check.meaning(document, sources, "value", pointer, "queued", text) is None
    item = _item("stagepro", pointer, "queued")
    assert item.mark == ("documented", f"{sources.file} §Create a job (line 30)")


def test_a_citation_beside_an_own_mark_is_a_contradiction():
    document = _doc("stagepro")
    real = ledger.load_sources("stagepro")
    pointer = "/components/schemas/Job/properties/object"  # its own guess: the `object` tag
    planted = citations.Sources(real.file, real.title, real.url, real.sections,
                                {**real.cites, (pointer, "object"): 30})
    assert [i.token for i in ledger.contradictions(document, planted)] == ["object"]
    item = next(i for i in ledger.items(document, planted) if i.pointer == pointer)
    assert item.mark is not None and item.mark[0] == "guess"


def test_the_tables_are_read_through_the_package_data():
    from mock_server.resources import data_dir

    for api in APIS:
        assert (data_dir("openapi") / "sources" / f"{api}.yaml").is_file()
        assert ledger.load_sources(api).cites


@pytest.mark.parametrize("api", APIS)
def test_the_walk_reaches_every_kind(api):
    kinds = {i.kind for i in ledger.items(_doc(api))}
    expected = set(ledger.KINDS) - ({"id prefix"} if api == "stagerai" else set())
    assert "rule" in expected
    assert kinds == expected, expected ^ kinds


def _headings(text: str) -> set[str]:
    return {line.strip() for line in text.replace("\\n", "\n").splitlines() if line.strip()}


@pytest.mark.parametrize("api", APIS)
def test_documented_marks_name_a_section_of_the_reference(api):
    """``x-stagemock-documented`` starts with a line of the reference (its section's title),
    optionally followed by ``; `` and a note of ours; the note copies no run of six words of
    the reference."""
    text = reference(api)
    lines = _headings(text)
    words = re.findall(r"\S+", text)
    runs = {" ".join(words[i:i + 6]) for i in range(len(words) - 5)}
    marks = ledger.documented_marks(_doc(api))
    assert marks or api == "stagepro"
    for where, value in marks:
        section, _, note = value.partition("; ")
        assert section in lines, (where, section)
        note_words = re.findall(r"\S+", note)
        copied = [" ".join(note_words[i:i + 6]) for i in range(len(note_words) - 5)
                  if " ".join(note_words[i:i + 6]) in runs]
        assert not copied, (where, copied)


@pytest.mark.parametrize("api", APIS)
def test_no_node_is_both_guessed_and_documented(api):
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            assert not (GUESS in node and isinstance(node.get(ledger.DOCUMENTED), str)), where
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    walk(_doc(api), "")


@cache
def _items(api: str) -> tuple[ledger.Item, ...]:
    """The whole spec's items, once per API for the many cases below (each read the spec and
    walked it again: a second apiece)."""
    return tuple(ledger.items(_doc(api), ledger.load_sources(api)))


def _item(api: str, pointer: str, token: str) -> ledger.Item:
    found = [i for i in _items(api) if i.pointer == pointer and i.token == token]
    assert found, (api, pointer, token)
    return found[0]


S = "/components/schemas"


@pytest.mark.parametrize(
    "api, pointer, token, kind",
    [
        # a word of the reference's prose ("Batch processing") is no job status
        ("stagepro", f"{S}/JobStatus/enum", "processing", "guess"),
        ("stagepro", f"{S}/AgentStreamEvent/properties/event/enum", "start", "guess"),
        ("stagepro", f"{S}/AgentStreamEvent/properties/event/enum", "error", "guess"),
        ("stagepro", "/paths/~1jobs/post/responses/202/headers/Idempotent-Replayed",
         "Idempotent-Replayed", "guess"),
        ("stagepro", f"{S}/Job/properties/id/pattern", "job_", "guess"),
        ("stagepro", f"{S}/Upload/properties/upload_id/pattern", "upl_", "guess"),
        ("stagepro", "/paths/~1jobs~1{id}/get/responses/200", "200", "guess"),
        ("stagepro", "/paths/~1jobs/post/responses/202", "202", "documented"),
        ("stagepro", f"{S}/AgentSessionCreate/properties/auto_render/default", "false",
         "documented"),
        # issue 30: partly shown enums have their shown values cited, the others guessed
        ("stagepro", f"{S}/JobStatus/enum", "queued", "documented"),
        ("stagepro", f"{S}/JobStatus/enum", "failed", "documented"),
        ("stagepro", f"{S}/Style/enum", "modern", "documented"),
        ("stagepro", f"{S}/Style/enum", "japandi", "guess"),
        ("stagepro", f"{S}/AspectRatio/enum", "16:9", "documented"),
        ("stagepro", f"{S}/ApiKey/properties/secret/pattern", "sk_test_", "documented"),
        ("stagepro", f"{S}/WebhookEvent/enum", "batch.completed", "guess"),
        # a guessed length no longer marks the field's name
        ("stagepro", f"{S}/AgentMessageCreate/properties/message", "message", "documented"),
        ("stagepro", f"{S}/AgentMessageCreate/properties/message/maxLength", "4000", "guess"),
        ("stagepro", f"{S}/JobOptions/properties/creativity", "creativity", "documented"),
        # the read's guessed 200 does not make its body's status a guess
        ("stagepro", f"{S}/Job/properties/status", "status", "documented"),
        # the audit's fixes: the error envelope, the console, exclusive choices
        ("stagepro", f"{S}/Error/properties/error", "error", "guess"),
        ("stagepro", f"{S}/Error/properties/error/properties/field", "field", "guess"),
        ("stagepro", f"{S}/JobError/properties/code", "code", "guess"),
        ("stagepro", f"{S}/ListingToolInfo/properties/name", "name", "guess"),
        ("stagepro", f"{S}/ApiKeyCreate/required", "name", "guess"),
        ("stagepro", f"{S}/WebhookEndpointCreate/required", "url", "guess"),
        ("stagepro", "/paths/~1keys/post/responses/400", "400", "guess"),
        ("stagepro", f"{S}/AgentSessionCreate/oneOf", "oneOf", "guess"),
        ("stagepro", f"{S}/JobInput/oneOf", "oneOf", "documented"),
        ("stagepro", f"{S}/JobCreate/additionalProperties", "additionalProperties", "guess"),
        ("stagepro", f"{S}/AgentMessageCreate/properties/stream/default", "false",
         "documented"),
        ("stagerai", f"{S}/Resolution/default", '"high"', "guess"),
        ("stagerai", f"{S}/ActionType/default", '"autoStaging"', "guess"),
        ("stagerai", f"{S}/SkySubType/default", '"middle"', "guess"),
        ("stagerai", f"{S}/CreateHdrImageGroupRequest/properties/lensCorrection/default",
         "false", "guess"),
        ("stagerai", f"{S}/EnhanceHdrImageGroupResponse/maxProperties", "0", "documented"),
        ("stagerai", "/paths/~1gcs~1{bucket}~1{object}", "gcs", "guess"),
        ("stagerai", "/components/parameters/XGoogDate/name", "X-Goog-Date", "documented"),
        ("stagerai", "/info/description", "too_many_brackets", "guess"),
        ("stagerai", f"{S}/RoomType/enum", "GAME_ROOM", "documented"),
        ("stagerai", f"{S}/Image/properties/width/minimum", "1", "guess"),
        ("stagerai", f"{S}/HdrUploadUrl/properties/uploadUrl", "uploadUrl", "documented"),
    ],
)
def test_known_items_are_classified_as_expected(api, pointer, token, kind):
    item = _item(api, pointer, token)
    assert (item.mark[0] if item.mark else None) == kind, item


def test_matching_is_by_whole_identifier_or_number():
    def ok(token: str, text: str, kind: str = "value") -> bool:
        return ledger.shown(ledger.Item(kind, "/", token, None), text)

    assert not ok("job_", "returns batch_id and job_ids")
    assert not ok("12345", "MLS-12345")
    assert not ok("1", "1.5 credits") and ok("1", "step 1.")
    assert ok("listing_tool", "input.listing_tool set to") and ok("jobs", "/api/v1/jobs?x")
    assert not ok("room", "living-room") and not ok("image", "image_url")
    assert ok("File", "Form\\nFile: binary")  # the page's escaped line break
    default = ledger.Item("default", "/", "false", None, "auto_render")
    assert ledger.shown(default, "auto_render defaults to false. Set true on create")
    assert not ledger.shown(default, "auto_render: false")
    listed = ledger.Item("default", "/", "[]", None, "colorTypes")
    assert not ledger.shown(listed, "colorTypes default []")


def test_id_prefixes_of_patterns():
    assert ledger._prefixes("^job_") == ["job_"]
    assert ledger._prefixes("^sk_(test|live)_") == ["sk_test_", "sk_live_"]
    assert ledger._prefixes("^[0-9]{8}T[0-9]{6}Z$") == []


# ------------------------------------------------------------------ prose rules
#: The rules a ``description`` may state in words, by the words that give them away.
PROSE_RULES = {
    "what a failed job costs": r"refund",
    "all-or-nothing batches": r"all-or-nothing",
    "the template → job mapping": r"`mls-[a-z-]+` *(?:→|\|)",
    "delivery acknowledgement and retries": r"acknowledg|retried|backoff|within 10 s",
    "how test keys open accounts": r"first use",
    "idempotent replays": r"Idempotent-Replayed",
    "defaults": r"\bdefaults? to\b|\(the default\)",
    "status order": r"only moves forward",
    "lifetimes": r"\b24 h(?:ours)?\b",
}


def _prose_marked(document: dict[str, Any], parts: list[Any], node: dict[str, Any]) -> bool:
    if ledger.classify(document, parts) is not None:  # x-stagemock-guess / -documented
        return True
    local = node.get(GUESS_KEYWORDS)
    documented = node.get(ledger.DOCUMENTED)
    return ((isinstance(local, dict) and "description" in local)
            or (isinstance(documented, dict) and "description" in documented))


def _descriptions(node: Any, parts: list[Any]):
    if isinstance(node, dict):
        if isinstance(node.get("description"), str):
            yield parts, node
        for key, value in node.items():
            if key not in ("examples", "example", "links") and not str(key).startswith("x-"):
                yield from _descriptions(value, [*parts, key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _descriptions(value, [*parts, i])


@pytest.mark.parametrize("api", APIS)
def test_prose_rules_are_marked(api):
    """Each operation, webhook, parameter, response or schema whose description states one of
    :data:`PROSE_RULES` carries a guess or documented mark (the API's overview,
    ``info.description``, sums the marked rules up and is not checked)."""
    document = _doc(api)
    missing = []
    for parts, node in _descriptions({k: v for k, v in document.items() if k != "info"}, []):
        said = [rule for rule, words in PROSE_RULES.items()
                if re.search(words, node["description"], re.I)]
        if said and not _prose_marked(document, parts, node):
            missing.append(f"{ledger.pointer(parts)}: {', '.join(said)}")
    assert not missing, "prose rules without a mark:\n  " + "\n  ".join(missing)


@pytest.mark.parametrize("api, pointer, rule", [
    ("stagepro", "/components/schemas/Prices", "what a failed job costs"),
    ("stagepro", "/paths/~1batches/post", "all-or-nothing batches"),
    ("stagepro", "/paths/~1workflows/post", "the template → job mapping"),
    ("stagepro", "/webhooks/job.completed/post", "delivery acknowledgement and retries"),
    ("stagerai", "/components/securitySchemes/StagerApiKey", "how test keys open accounts"),
])
def test_the_prose_rules_of_the_issue_are_found(api, pointer, rule):
    """The table finds the rules issue 23 names (so a rewording cannot hide one)."""
    document = _doc(api)
    parts = [p.replace("~1", "/") for p in pointer.strip("/").split("/")]
    node: Any = document
    for part in parts:
        node = node[part]
    assert re.search(PROSE_RULES[rule], node["description"], re.I), (pointer, rule)
    assert _prose_marked(document, parts, node)
