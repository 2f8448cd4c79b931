"""HAR 1.2 both ways: ``--record FILE.har`` (proxy and serve) writes a valid HAR 1.2 document
(checked against the HAR 1.2 schema's required fields below), and ``replay``/``drift`` read
it into the same exchanges as the JSON Lines recording of the same session; a foreign HAR's
static files and other hosts are skipped with a count, base64 bodies are decoded, custom
``_`` fields kept. Real tools' HAR files: ``test_har_tools.py``."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import httpx
import jsonschema

from mock_server.proxy import record
from mock_server.proxy.replay import Replayer
from mock_server.settings import Settings
from mock_server.testing import RunningServer
from tests.proxy.conftest import proxying
from tests.proxy.test_replay import _session, record_both

# HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): the objects and the fields the
# specification marks required, with their types. Custom fields (``_name``) are allowed.
_NV = {"type": "object", "required": ["name", "value"],
       "properties": {"name": {"type": "string"}, "value": {"type": "string"}}}
_NVS = {"type": "array", "items": _NV}
HAR_SCHEMA = {
    "type": "object", "required": ["log"],
    "properties": {"log": {
        "type": "object", "required": ["version", "creator", "entries"],
        "properties": {
            "version": {"const": "1.2"},
            "creator": {"type": "object", "required": ["name", "version"],
                        "properties": {"name": {"type": "string"},
                                       "version": {"type": "string"}}},
            "pages": {"type": "array"},
            "entries": {"type": "array", "items": {
                "type": "object",
                "required": ["startedDateTime", "time", "request", "response", "cache",
                             "timings"],
                "properties": {
                    "startedDateTime": {
                        "type": "string",
                        "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"},
                    "time": {"type": "number", "minimum": 0},
                    "request": {
                        "type": "object",
                        "required": ["method", "url", "httpVersion", "cookies", "headers",
                                     "queryString", "headersSize", "bodySize"],
                        "properties": {
                            "method": {"type": "string"},
                            "url": {"type": "string", "pattern": "^https?://"},
                            "httpVersion": {"type": "string"}, "cookies": {"type": "array"},
                            "headers": _NVS, "queryString": _NVS,
                            "postData": {"type": "object", "required": ["mimeType"],
                                         "properties": {"mimeType": {"type": "string"},
                                                        "text": {"type": "string"},
                                                        "params": {"type": "array"}}},
                            "headersSize": {"type": "integer"},
                            "bodySize": {"type": "integer"}}},
                    "response": {
                        "type": "object",
                        "required": ["status", "statusText", "httpVersion", "cookies",
                                     "headers", "content", "redirectURL", "headersSize",
                                     "bodySize"],
                        "properties": {
                            "status": {"type": "integer"}, "statusText": {"type": "string"},
                            "headers": _NVS, "redirectURL": {"type": "string"},
                            "content": {"type": "object", "required": ["size", "mimeType"],
                                        "properties": {
                                            "size": {"type": "integer"},
                                            "mimeType": {"type": "string"},
                                            "text": {"type": "string"},
                                            "encoding": {"const": "base64"}}}}},
                    "cache": {"type": "object"},
                    "timings": {"type": "object", "required": ["send", "wait", "receive"],
                                "properties": {k: {"type": "number", "minimum": -1}
                                               for k in ("blocked", "dns", "connect", "send",
                                                         "wait", "receive", "ssl")}},
                },
                "patternProperties": {"^_": {}}, "additionalProperties": False,
            }},
        }}},
}


def validate_har(path: Path) -> dict:
    doc = json.loads(path.read_text())
    jsonschema.validate(doc, HAR_SCHEMA)
    return doc


def _record(path: Path) -> None:
    with RunningServer(Settings(deterministic=True, image_workers=0)) as upstream, \
            proxying("stagepro", upstream.url + "/api/v1", record=path) as (origin, _p):
        _session(origin, "sk_test_recorded", upstream.advance)
        # a binary upload: base64 in the HAR, the same bytes read back
        with httpx.Client(base_url=origin + "/api/v1", timeout=30,
                          headers={"Authorization": "Bearer sk_test_recorded"}) as api:
            api.post("/uploads", files={"file": ("room.png", PNG, "image/png")})


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def test_the_proxy_writes_valid_har_that_reads_back_as_the_jsonl_recording(tmp_path):
    har, jsonl = tmp_path / "session.har", tmp_path / "session.jsonl"
    _record(har)
    _record(jsonl)
    doc = validate_har(har)
    log = doc["log"]
    assert log["creator"]["name"] == "stagemock" and len(log["entries"]) == 8
    first = log["entries"][0]
    assert first["request"]["url"].endswith("/api/v1/jobs")
    assert first["_stagemock"]["operation_id"] == "createJob"
    assert first["_stagemock"]["verdicts"]["request"]["conformant"] is True
    assert json.loads(first["request"]["postData"]["text"])["type"] == "virtual-stage"
    assert "sk_test_recorded" not in har.read_text()

    (_, from_har), (_, from_jsonl) = record.load(har), record.load(jsonl)
    assert len(from_har) == len(from_jsonl) == 8
    for a, b in zip(from_har, from_jsonl, strict=True):
        assert (a["operation_id"], a["request"]["method"], a["request"]["path"]) == \
            (b["operation_id"], b["request"]["method"], b["request"]["path"])
        assert a["response"]["status"] == b["response"]["status"]
        if b["response"]["body"] and "json" in b["response"]["body"]:
            assert a["response"]["body"]["json"].keys() == b["response"]["body"]["json"].keys()
    upload = from_har[-1]["request"]["body"]
    # the relayed bytes, whole: the same sha256 as the proxy measured as they streamed
    assert upload["sha256"] == log["entries"][-1]["_stagemock"]["request_body"]["sha256"]
    assert PNG in record.body_bytes(har, upload)  # the multipart body, base64 and back


def test_a_har_recording_replays_with_no_difference_and_drifts_clean(tmp_path):
    har = tmp_path / "session.har"
    _record(har)
    with RunningServer(Settings(deterministic=True, image_workers=0)) as fresh:
        outcome = Replayer(har, fresh.url + "/api/v1", "sk_test_someone_new").run()
    assert outcome.replayed == 8
    assert outcome.differences == [], [d.as_json() for d in outcome.differences]
    proc = subprocess.run([sys.executable, "-m", "mock_server", "drift", str(har)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert "8 exchanges replayed, 0 differences" in proc.stdout, proc.stdout + proc.stderr


def test_serve_record_har_writes_both_apis(tmp_path):
    seen: dict[str, str] = {}

    def while_running(path: Path, url: str) -> None:
        validate_har(path)  # valid while the server still runs: after every entry
        seen["url"] = url

    path = record_both(tmp_path / "serve.har", while_running=while_running)
    doc = validate_har(path)
    assert doc["log"]["entries"][0]["request"]["url"].startswith(seen["url"] + "/api/v1/")
    header, exchanges = record.load(path)
    assert header["api"] == "both"
    assert [e["api"] for e in exchanges] == ["stagepro"] * 7 + ["stagerai"] * 2
    with RunningServer(Settings(deterministic=True, image_workers=0)) as fresh:
        stagepro = Replayer(path, fresh.url + "/api/v1", "sk_test_other", api="stagepro").run()
        stagerai = Replayer(path, fresh.url, "stager_test_other", api="stagerai").run()
    assert (stagepro.replayed, stagerai.replayed) == (7, 2)
    assert stagepro.differences == [] and stagerai.differences == []


def _entry(url: str, status: int = 200, mime: str = "application/json", text: str = "{}",
           when: str = "2024-05-01T10:00:00.000Z", **extra: object) -> dict:
    return {"startedDateTime": when, "time": 5, "cache": {}, "timings": {"send": 0,
            "wait": 4, "receive": 1},
            "request": {"method": "GET", "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
                        "headers": [{"name": ":authority", "value": "x"},
                                    {"name": "Authorization", "value": "Bearer sk_test_a"}],
                        "queryString": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1",
                         "cookies": [], "headers": [], "redirectURL": "", "headersSize": -1,
                         "bodySize": -1, "content": {"size": len(text), "mimeType": mime,
                                                     "text": text}},
            **extra}


def test_a_foreign_har_is_ordered_filtered_decoded_and_keeps_custom_fields(tmp_path):
    api = "https://www.stageproai.com/api/v1"
    usage = base64.b64encode(b'{"credits":{"remaining":3}}').decode()
    entries = [
        _entry(api + "/jobs/job_B", when="2024-05-01T10:00:02.000Z", _resourceType="fetch"),
        _entry("https://www.stageproai.com/app.js", mime="text/javascript", text="x"),
        _entry("https://cdn.example/logo.png", mime="image/png", text="AAAA"),
        _entry(api + "/usage", when="2024-05-01T10:00:01.000Z", _resourceType="xhr"),
    ]
    entries[3]["response"]["content"].update(text=usage, encoding="base64")
    path = tmp_path / "devtools.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "WebInspector",
                                "version": "537.36"}, "_custom": 1, "entries": entries}}))
    header, exchanges = record.load(path)
    assert header["api"] == "stagepro" and header["base_path"] == "/api/v1"
    assert [e["operation_id"] for e in exchanges] == ["getUsage", "getJob"]  # by start time
    assert exchanges[0]["response"]["body"]["json"] == {"credits": {"remaining": 3}}
    assert exchanges[0]["har"] == {"entry": {"_resourceType": "xhr"}}
    assert ["Authorization", "Bearer sk_test_a"] in exchanges[0]["request"]["headers"]
    assert not any(h[0].startswith(":") for h in exchanges[0]["request"]["headers"])
    assert header["har"] == {"_custom": 1}
    assert header["skipped"] == [
        "1 HAR entries of other hosts than the API's (cdn.example)",
        "1 HAR entries no operation of the spec matches (pages, static files, preflights)"]


def test_the_credential_note_does_not_deny_the_entries_skipped(tmp_path):
    """A sanitized export with a CDN entry: the report lists the skipped entry, and its note
    on the entries without a credential must not say that nothing was skipped."""
    api = "https://www.stageproai.com/api/v1"
    entries = [_entry(api + "/usage"), _entry("https://cdn.example/logo.png")]
    for entry in entries:
        entry["request"]["headers"] = [{"name": ":authority", "value": "x"}]
    path = tmp_path / "sanitized.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    header, _ = record.load(path)
    assert header["skipped"] == [
        "1 HAR entries of other hosts than the API's (cdn.example)",
        "none of the 1 HAR entries without a credential (a sanitized export): they are sent "
        "with the replay's key"]


def test_a_file_that_is_not_har_is_refused(tmp_path):
    path = tmp_path / "x.har"
    path.write_text('{"entries": []}')
    proc = subprocess.run([sys.executable, "-m", "mock_server", "drift", str(path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "not a HAR file" in proc.stdout


def test_a_sanitized_export_without_credentials_still_replays(tmp_path):
    """Chrome's default HAR export drops Authorization and cookies: each operation that
    needs a credential is sent with the replay's key, and the report says so."""
    har = tmp_path / "session.har"
    _record(har)
    doc = json.loads(har.read_text())
    for entry in doc["log"]["entries"]:
        entry["request"]["headers"] = [h for h in entry["request"]["headers"]
                                       if h["name"].lower() != "authorization"]
    har.write_text(json.dumps(doc))
    header, _ = record.load(har)
    assert header["skipped"] == ["none of the 8 HAR entries without a credential (a sanitized "
                                 "export): they are sent with the replay's key"]
    with RunningServer(Settings(deterministic=True, image_workers=0)) as fresh:
        outcome = Replayer(har, fresh.url + "/api/v1", "sk_test_someone_new").run()
    assert outcome.replayed == 8
    assert outcome.differences == [], [d.as_json() for d in outcome.differences]
