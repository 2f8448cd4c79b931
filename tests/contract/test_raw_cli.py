"""schemathesis's own CLI (``st run``: all checks, all phases) on a fresh mock, for both APIs,
with the configuration file ``stagemock check API --schemathesis-config FILE`` writes: no
server error and no failure of any check at all. Without that file's per-operation entries,
the refusals no schema can state show as ``positive_data_acceptance`` failures (ST202), each
one named here.

What those refusals are, and why no schema can state them to this generator (schemathesis
4.32):

- **bytes that are not an image** in an upload's file part (``uploadImage``, StagePro's
  ``createUpload``). Both references return the image's pixel size in the upload's answer,
  so the bytes are read there, and PRODUCT.md has non-images refused at upload. schemathesis
  fills a multipart file part from its sample files or arbitrary bytes whatever the part's
  ``encoding.contentType`` or ``contentMediaType`` (it uses file samples by media type only
  for a whole raw body).
- **state**: an HDR group's 8th bracket (``too_many_brackets``); a webhook endpoint id, an
  upload id or a page cursor this account was never given (StagePro).
The operations refusing them carry ``x-stagemock-state-dependent``, which the raw CLI cannot
read but the generated file states, per operation, as schemathesis's own
``[[operations]]`` entries.

A refusal the schema *can* state must not be among them: two file parts (``File`` and
``file``), refused since the schema says so (tests/stagerai/test_upload_parts.py); StagePro's
``listing_tool`` with a job ``type`` other than ``listing-tool`` (or none with it), refused
since createJob's and createBatch's schemas say so, a choice on ``type``
(tests/stagepro/test_listing_tool_rule.py)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from contract_tests.__main__ import main
from contract_tests.ndjson import response_body
from contract_tests.runner import operation_ids
from contract_tests.st_config import marks, schemathesis_toml
from mock_server import Settings
from mock_server.jsontypes import JsonObject
from mock_server.testing import RunningServer
from tests.contract.st_events import interactions, part_names

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"stagepro": "sk_test_raw_cli", "stagerai": "stager_test_raw_cli"}
PREFIX = {"stagepro": "/api/v1", "stagerai": ""}
#: (operation, error code, words of the message) of each refusal the schema cannot state;
#: ``*``: any operation the spec marks ``x-stagemock-state-dependent``.
STATEFUL_REFUSALS = {
    "stagerai": {
        ("POST /api/image", "invalid_image", "not a JPEG, PNG or WebP image"),
        ("POST /api/hdr-upload-url", "too_many_brackets", "at most 7 brackets"),
    },
    "stagepro": {
        ("POST /uploads", "invalid_image", "not an image this API accepts"),
        ("*", "validation_error", "unknown webhook endpoint"),
        ("*", "upload_not_found", "no upload"),
        ("*", "validation_error", "is not a cursor this API issued"),
    },
}
#: One request of each failure the raw run names: (check's code, operation, the API's error).
Failure = tuple[str, str, object]


def _state_dependent(api: str) -> set[str]:
    """'POST /uploads' for each operation the spec marks as refusing valid input with 400."""
    marked = marks(api)
    return {name for name, op in operation_ids(api).items() if 400 in marked.get(op, [])}


def _generated(api: str, tmp_path: Path) -> Path:
    """The file ``stagemock check API --schemathesis-config FILE --api-key KEY`` writes."""
    config = tmp_path / "schemathesis.toml"
    assert main([api, "--schemathesis-config", str(config), "--api-key", KEYS[api]]) == 0
    return config


def _run(api: str, tmp_path: Path, config: Path, *options: str, phases: str, examples: int
         ) -> tuple[list[Failure], set[tuple[str, str, str]], list[JsonObject], int]:
    """schemathesis's CLI on a fresh mock with ``config``: every failure of a check, the
    named refusals among them, the JSON bodies the mock accepted (2xx) and how many requests
    it sent."""
    events = tmp_path / "events.ndjson"
    with RunningServer(Settings(deterministic=True)) as server:
        proc = subprocess.run(
            [sys.executable, "-c", "import sys; from schemathesis.cli import schemathesis; "
             "sys.argv[0] = 'st'; sys.exit(schemathesis())", "--config-file", str(config),
             "run", str(ROOT / "openapi" / f"{api}.yaml"), "--url", server.url + PREFIX[api],
             *options, "--checks", "all", "--phases", phases,
             "--max-examples", str(examples), "--seed", "20260101",
             "--generation-database", "none",
             "--no-color", "--report", "ndjson", "--report-ndjson-path", str(events)],
            capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path)
    assert events.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Runtime Error" not in proc.stdout, proc.stdout[-4000:]  # every phase ran
    failures: list[Failure] = []
    named: set[tuple[str, str, str]] = set()
    accepted: list[JsonObject] = []
    tested = 0
    for _case, interaction, checks in interactions(events):
        tested += 1
        response = interaction.get("response") or {}
        assert response.get("status_code", 0) < 500, interaction  # ST101: never a 5xx
        sent = ((interaction.get("request") or {}).get("body") or {}).get("$base64")
        if 200 <= response.get("status_code", 0) < 300:
            accepted.append(_json_or_empty(sent))
        for check in checks:
            if check.get("status") != "failure":
                continue
            failure = check["failure_info"]["failure"]
            operation = failure["operation"]
            error = (response_body(response) or {}).get("error") or {}
            failures.append((failure["code"], operation, error))
            named |= {r for r in STATEFUL_REFUSALS[api] if r[0] in ("*", operation)
                      and r[1] == error.get("code") and r[2] in str(error.get("message"))}
            if sent and operation == "POST /api/image":
                assert not {"File", "file"} <= set(part_names(base64.b64decode(sent))), error
    assert tested, proc.stdout[-2000:]
    return failures, named, accepted, tested


def _unexplained(api: str, failures: list[Failure]) -> list[Failure]:
    """The failures that are not a named refusal, as ST202 on an operation the spec marks."""
    marked = _state_dependent(api)
    return [(code, operation, error) for code, operation, error in failures
            if code != "ST202" or operation not in marked or not isinstance(error, dict)
            or not any(r[0] in ("*", operation) and r[1] == error.get("code")
                       and r[2] in str(error.get("message")) for r in STATEFUL_REFUSALS[api])]


def _json_or_empty(sent: str | None) -> JsonObject:
    try:
        body = json.loads(base64.b64decode(sent or ""))
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@pytest.mark.parametrize("api", ["stagepro", "stagerai"])
def test_raw_schemathesis_cli_with_the_generated_config_finds_nothing(api, tmp_path):
    failures, _, _, tested = _run(api, tmp_path, _generated(api, tmp_path), examples=10,
                                  phases="examples,coverage,fuzzing,stateful")
    assert not failures, failures  # no ST101, no ST202, nothing at all
    assert tested > 100


@pytest.mark.parametrize("api", ["stagepro", "stagerai"])
def test_without_its_per_operation_entries_the_refusals_show(api, tmp_path):
    """The same file without its ``[[operations]]`` entries, on the marked operations alone
    (fuzzing, 10 examples: it reaches them in seconds): the refusals show as
    ST202, and each is one named above: the entries are what the first test rests on."""
    config = tmp_path / "bare.toml"
    config.write_text(schemathesis_toml(api, KEYS[api], lenient={}))
    marked = marks(api)
    only = [arg for op in marked for arg in ("--include-operation-id", op)]
    failures, named, _, _ = _run(api, tmp_path, config, *only, "--continue-on-failure",
                                 phases="fuzzing", examples=10)
    assert named, failures
    assert {code for code, _, _ in failures} == {"ST202"}, failures
    assert not _unexplained(api, failures), _unexplained(api, failures)


def test_the_listing_tool_rule_by_type_is_the_schemas(tmp_path):
    """createJob and createBatch alone, with three times the examples and on past the first
    failure (the state refusals, an unknown webhook endpoint, come first): schemathesis reads
    the choice on ``type`` and sends no schema-valid job or batch the mock refuses for its
    ``listing_tool``, and none the schema refuses is accepted (``negative_data_rejection``).
    On the spec before that choice, this very run met three listing-tool batches without a
    tool, refused (```photos[0].listing_tool` is required when type is listing-tool``). The
    accepted bodies hold both branches: listing-tool jobs with their tool, other types
    without one."""
    config = tmp_path / "auth.toml"
    config.write_text(f'[auth.openapi.ApiKeyAuth]\nbearer = "{KEYS["stagepro"]}"\n')
    failures, _, accepted, _ = _run(
        "stagepro", tmp_path, config, "--include-operation-id", "createJob",
        "--include-operation-id", "createBatch", "--continue-on-failure",
        phases="examples,coverage,fuzzing", examples=30)
    assert not _unexplained("stagepro", failures), _unexplained("stagepro", failures)
    types = {(b.get("type"), "listing_tool" in (b.get("input") or {})) for b in accepted}
    assert ("listing-tool", True) in types, types
    assert any(t != "listing-tool" and not tool for t, tool in types), types
