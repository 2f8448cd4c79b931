"""``POST /api/image`` takes one file part, ``File`` or ``file``, never both (ST202 of the
new user's third round): the schema says so in a way schemathesis reads, so none of its
positive cases carries both parts (each is refused 400 by the mock, rightly)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

from mock_server import Settings
from mock_server.testing import RunningServer

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi" / "stagerai.yaml"


def test_the_schema_refuses_both_parts_and_takes_either_one():
    doc = yaml.safe_load(SPEC.read_text())
    schema = {**doc["components"]["schemas"]["UploadImageRequest"],
              "components": doc["components"]}
    check = jsonschema.Draft202012Validator(schema)
    assert check.is_valid({"File": "x"}) and check.is_valid({"file": "x"})
    assert not check.is_valid({"File": "x", "file": "x"})
    assert not check.is_valid({})


def _parts(body: bytes) -> list[str]:
    return [line.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
            for line in body.split(b"\r\n") if line.startswith(b"Content-Disposition:")]


def test_schemathesis_never_sends_both_parts_as_a_valid_case(tmp_path):
    config = tmp_path / "st.toml"
    config.write_text('[auth.openapi.StagerApiKey]\napi_key = "stager_test_parts"\n')
    events = tmp_path / "events.ndjson"
    with RunningServer(Settings(deterministic=True)) as server:
        proc = subprocess.run(
            [sys.executable, "-c", "import sys; from schemathesis.cli import schemathesis; "
             "sys.argv[0] = 'st'; sys.exit(schemathesis())", "--config-file", str(config),
             "run", str(SPEC), "--url", server.url, "--checks", "positive_data_acceptance",
             "--phases", "coverage,fuzzing", "--include-operation-id", "uploadImage",
             "--max-examples", "50", "--seed", "20260101", "--generation-database", "none",
             "--report", "ndjson", "--report-ndjson-path", str(events)],
            capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)
    assert events.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Unsupported type" not in proc.stdout, proc.stdout[-3000:]  # coverage ran
    sent: list[list[str]] = []
    for line in events.read_text().splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        for case_id, interaction in (recorder.get("interactions") or {}).items():
            meta = recorder["cases"][case_id]["value"].get("meta") or {}
            body = ((interaction.get("request") or {}).get("body") or {}).get("$base64")
            if meta.get("generation", {}).get("mode") == "positive" and body:
                sent.append(_parts(base64.b64decode(body)))
    assert ["File"] in sent and ["file"] in sent, sent  # either part alone was tried
    both = [parts for parts in sent if {"File", "file"} <= set(parts)]
    assert not both, f"{len(both)} positive cases sent both parts"
