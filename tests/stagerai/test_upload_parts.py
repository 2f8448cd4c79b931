"""``POST /api/image`` takes one file part, ``File`` or ``file``, never both (the ST202 of
issue 34): the schema states the refusal so a client (and a generator) can see it, and the
mock's multipart check refuses exactly what the schema refuses, in the API's own error
naming the part."""

from __future__ import annotations

import base64
import itertools
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from mock_server import Settings
from mock_server.testing import RunningServer
from tests.contract.st_events import interactions, part_names

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi" / "stagerai.yaml"
EXTERIOR = (ROOT / "fixtures" / "photos" / "exterior.jpg").read_bytes()
PARTS = ("File", "file", "photo")  # the two names the schema knows, and one it does not


def _body_schema() -> jsonschema.Draft202012Validator:
    doc = yaml.safe_load(SPEC.read_text())
    schema = {**doc["components"]["schemas"]["UploadImageRequest"],
              "components": doc["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_refuses_both_parts_and_takes_either_one():
    check = _body_schema()
    assert check.is_valid({"File": "x"}) and check.is_valid({"file": "x"})
    assert not check.is_valid({"File": "x", "file": "x"})  # the refusal, in the schema
    assert not check.is_valid({})


SENT = [combo for n in range(len(PARTS) + 1) for combo in itertools.combinations(PARTS, n)]


@pytest.mark.parametrize("parts", SENT, ids=lambda p: "+".join(p) or "none")
def test_the_mock_refuses_exactly_what_the_schema_refuses(sa, parts):
    """Every set of file parts: the schema's verdict (a part stands for its bytes) is the
    mock's, a 200 or a 400 ``validation_error`` naming a part (the second of two)."""
    valid = _body_schema().is_valid({name: "bytes" for name in parts})
    files = [(name, (f"{name}.jpg", EXTERIOR, "image/jpeg")) for name in parts]
    r = sa.post("/api/image", files=files or {"": ("", b"", "text/plain")})
    assert (r.status_code == 200) is valid, r.text
    if valid:
        return
    error = r.json()["error"]
    assert r.status_code == 400 and r.json()["success"] is False
    assert error["code"] == "validation_error"
    named = {d["field"]: d["message"] for d in error["details"]}
    assert error["field"] in named, error
    if {"File", "file"} <= set(parts):
        assert "only one" in named.get("file", ""), error
    if "photo" in parts:
        assert "not a known field" in named["photo"], error
    if not {"File", "file"} & set(parts):
        assert "is required" in named["File"], error


def test_schemathesis_reads_the_refusal(tmp_path):
    """schemathesis's CLI (coverage and fuzzing, positive and negative) on the upload: no
    positive case carries both parts, every negative case is refused, and neither phase
    stops on the schema (a ``not`` with binary values stops its coverage phase)."""
    config = tmp_path / "st.toml"
    config.write_text('[auth.openapi.StagerApiKey]\napi_key = "stager_test_parts"\n')
    events = tmp_path / "events.ndjson"
    with RunningServer(Settings(deterministic=True)) as server:
        proc = subprocess.run(
            [sys.executable, "-c", "import sys; from schemathesis.cli import schemathesis; "
             "sys.argv[0] = 'st'; sys.exit(schemathesis())", "--config-file", str(config),
             "run", str(SPEC), "--url", server.url,
             "--checks", "positive_data_acceptance,negative_data_rejection,not_a_server_error",
             "--phases", "coverage,fuzzing", "--include-operation-id", "uploadImage",
             "--max-examples", "60", "--seed", "2", "--generation-database", "none",
             "--report", "ndjson", "--report-ndjson-path", str(events)],
            capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)
    assert events.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Unsupported type" not in proc.stdout, proc.stdout[-3000:]  # coverage ran
    assert "ST201" not in proc.stdout, proc.stdout[-3000:]  # no negative case accepted
    positive: list[list[str]] = []
    for case, interaction, _checks in interactions(events):
        meta = case.get("meta") or {}
        body = ((interaction.get("request") or {}).get("body") or {}).get("$base64")
        status = (interaction.get("response") or {}).get("status_code")
        assert status is None or status < 500, interaction
        if meta.get("generation", {}).get("mode") == "positive" and body:
            positive.append(part_names(base64.b64decode(body)))
    assert ["File"] in positive and ["file"] in positive, positive  # either part was tried
    both = [parts for parts in positive if {"File", "file"} <= set(parts)]
    assert not both, f"{len(both)} positive cases sent both parts"
