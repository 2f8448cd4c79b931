"""The server core over real HTTP: errors in each API's shape, validation naming the field,
the journal, the control plane, specs served."""

import pytest
import yaml

from mock_server.spec.schema_walk import enum_at, request_schema
from tests.conftest import ROOT

AUTH = {"Authorization": "Bearer sk_test_core"}


def test_unknown_stagepro_path_is_json_404_in_stagepro_shape(http):
    r = http.get("/api/v1/nope", headers=AUTH)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_unknown_stagerai_path_is_json_404_in_stagerai_shape(http):
    r = http.get("/api/nope")
    assert r.status_code == 404
    assert r.json()["success"] is False


def test_wrong_method_is_json_405_with_allow(http):
    r = http.delete("/api/v1/jobs", headers=AUTH)
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"
    assert r.json()["error"]["code"] == "method_not_allowed"
    r = http.put("/api/projects", headers={"stager-api-key": "stager_test_x"})
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert r.json()["success"] is False


@pytest.mark.parametrize(
    "body,field",
    [
        ({"type": "bogus", "input": {"image_url": "https://x.test/a.jpg"}}, "type"),
        ({"input": {"image_url": "https://x.test/a.jpg"}}, "type"),
        ({"type": "edit", "input": {"image_url": "not a url"}}, "input.image_url"),
        ({"type": "edit", "input": {"image_url": "https://x.test/a.jpg", "options": {"creativity": 9}}}, "input.options.creativity"),
        ({"type": "edit", "input": {"image_url": "https://x.test/a.jpg"}, "surprise": 1}, "surprise"),
    ],
)
def test_validation_errors_name_the_field(http, body, field):
    r = http.post("/api/v1/jobs", json=body, headers=AUTH)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert err["field"] == field
    assert field in err["message"]


def test_invalid_json_is_400_not_500(http):
    r = http.post(
        "/api/v1/jobs", content=b"{not json", headers={**AUTH, "content-type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"


def test_stagerai_validation_error_in_envelope(http):
    r = http.post(
        "/api/hdr-image-group",
        json={"projectId": "p", "lensCorrection": "yes"},
        headers={"stager-api-key": "stager_test_v"},
    )
    assert r.status_code == 400
    body = r.json()
    assert body["success"] is False and body["error"]["field"] == "lensCorrection"


def test_journal_records_operation_and_conformance(http, stagemock_server):
    key = "sk_test_journal_case"
    auth = {"Authorization": f"Bearer {key}"}
    stagemock_server.reset(key)
    http.get("/api/v1/capabilities", headers=auth)
    http.post("/api/v1/jobs", json={"type": "bogus"}, headers=auth)
    http.get("/api/v1/unknown-thing", headers=auth)
    entries = stagemock_server.journal(key)
    assert [e["operation_id"] for e in entries[:2]] == ["getCapabilities", "createJob"]
    ok, bad = entries[0], entries[1]
    assert ok["conformant"] is True and ok["status"] == 200 and ok["api"] == "stagepro"
    assert bad["conformant"] is False and bad["status"] == 400
    assert {v["field"] for v in bad["violations"]} >= {"type", "input"}
    missing_auth = http.get("/api/v1/capabilities")
    assert missing_auth.status_code == 401
    last = stagemock_server.journal(None)[-1]
    assert last["conformant"] is False and last["operation_id"] == "getCapabilities"


def test_reset_one_key_leaves_others(http, stagemock_server):
    http.post("/__mock/accounts", json={"api_key": "sk_live_keep_me", "credits": 7})
    http.post("/__mock/accounts", json={"api_key": "sk_live_drop_me", "credits": 7})
    stagemock_server.reset("sk_live_drop_me")
    assert http.get("/__mock/accounts/sk_live_keep_me").json()["credits"] == 7
    assert http.get("/__mock/accounts/sk_live_drop_me").status_code == 404
    stagemock_server.reset("sk_live_keep_me")


def test_reset_of_fixture_key_restores_fixture_state(http, stagemock_server):
    http.patch("/__mock/accounts/sk_live_mock_funded", json={"credits": 1})
    stagemock_server.reset("sk_live_mock_funded")
    assert http.get("/__mock/accounts/sk_live_mock_funded").json()["credits"] == 100


def test_clock_advance_moves_virtual_clock(http):
    before = http.get("/__mock/clock").json()
    assert before["mode"] == "virtual"
    after = http.post("/__mock/clock/advance", json={"seconds": 30}).json()
    assert after["unix"] == before["unix"] + 30


@pytest.mark.parametrize("body,field", [({}, "seconds"), ({"seconds": -1}, "seconds"), ({"seconds": "x"}, "seconds")])
def test_clock_advance_validates(http, body, field):
    r = http.post("/__mock/clock/advance", json=body)
    assert r.status_code == 400 and r.json()["error"]["field"] == field


def test_health_describes_instance(http):
    body = http.get("/__mock/health").json()
    assert body["status"] == "ok" and body["deterministic"] is True
    assert body["apis"]["stagepro"]["base_path"] == "/api/v1"


@pytest.mark.parametrize("name", ["stagepro.yaml", "stagerai.yaml", "admin.yaml"])
def test_specs_are_served(http, name):
    r = http.get(f"/openapi/{name}")
    assert r.status_code == 200 and r.text.startswith("openapi: 3.1")


def test_capabilities_lists_everything(http):
    caps = http.get("/api/v1/capabilities", headers=AUTH).json()
    assert set(caps["job_types"]) == {"empty-room", "virtual-stage", "interior-design", "edit", "listing-tool"}
    spec = yaml.safe_load((ROOT / "openapi" / "stagepro.yaml").read_text())
    spec_tools = enum_at(spec, request_schema(spec, "/jobs", "post"), "input.listing_tool")
    assert [t["slug"] for t in caps["listing_tools"]] == list(spec_tools)
    assert {t["slug"] for t in caps["listing_tools"]} >= {"virtual-twilight", "sky-enhancement", "room-declutter"}
    assert len(caps["workflow_templates"]) == 6
    assert "modern" in caps["styles"] and "living-room" in caps["room_types"]
    assert {t["slug"] for t in caps["app_only_tools"]} == {"furniture-try-on", "magic-editor"}


def test_usage_for_live_key_reports_fixture_numbers(http):
    usage = http.get("/api/v1/usage", headers={"Authorization": "Bearer sk_live_mock_funded"}).json()
    assert usage["livemode"] is True
    assert usage["credits"]["balance"] == 100 and usage["credits"]["unlimited"] is False
    assert usage["plan"]["max_parallel_jobs"] == 4
    full = http.get("/api/v1/usage", headers={"Authorization": "Bearer sk_live_mock_storage_full"}).json()
    assert full["storage"]["used_bytes"] == full["storage"]["limit_bytes"]


def test_usage_for_test_key_is_unlimited(http):
    usage = http.get("/api/v1/usage", headers=AUTH).json()
    assert usage["livemode"] is False and usage["credits"]["unlimited"] is True


def _asgi_post(app, body_messages):
    """Drive the app directly: a POST /api/v1/jobs whose body arrives as ``body_messages``."""
    import asyncio

    sent = []
    messages = list(body_messages)

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/api/v1/jobs", "raw_path": b"/api/v1/jobs", "root_path": "",
        "query_string": b"", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 1),
        "headers": [(b"host", b"127.0.0.1:8000"), (b"authorization", b"Bearer sk_test_door"),
                    (b"content-type", b"application/json"), (b"content-length", b"200")],
    }
    asyncio.run(app(scope, receive, send))
    return sent


def test_client_leaving_mid_body_is_journaled_499_and_creates_nothing():
    from mock_server import Settings, create_app

    app = create_app(Settings(deterministic=True))
    sent = _asgi_post(app, [{"type": "http.request", "body": b'{"type": "ed', "more_body": True}])
    assert sent[0]["status"] == 499
    ctx = app.state.ctx
    entry = ctx.journal.entries()[-1]
    assert (entry.status, entry.operation_id) == (499, "createJob")
    record = ctx.backends["stagepro"].state.keys.get("sk_test_door")
    assert record is None or not record.account.jobs


def test_body_in_several_chunks_is_read_whole():
    from mock_server import Settings, create_app

    app = create_app(Settings(deterministic=True))
    body = b'{"type": "edit", "input": {"image_url": "https://x.test/a.jpg"}}'
    chunks = [body[:10], body[10:30], body[30:]]
    sent = _asgi_post(app, [
        {"type": "http.request", "body": c, "more_body": i < 2} for i, c in enumerate(chunks)
    ])
    assert sent[0]["status"] == 202
    entry = app.state.ctx.journal.entries()[-1]
    assert entry.status == 202 and entry.conformant


def test_root_is_an_index_of_what_is_served_where(http, stagemock_server):
    before = http.get("/__mock/journal").json()["total"]
    r = http.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    root = stagemock_server.url
    assert body["apis"]["stagepro"]["base_url"] == root + "/api/v1"
    assert body["apis"]["stagerai"]["base_url"] == root
    assert body["dashboard"] == root + "/__mock/ui"
    assert body["control_plane"]["base_url"] == root + "/__mock/"
    for spec in (body["apis"]["stagepro"]["spec"], body["apis"]["stagerai"]["spec"], body["control_plane"]["spec"]):
        assert http.get(spec).status_code == 200, spec
    page = http.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f'href="{root}/__mock/ui"' in page.text and "/openapi/stagepro.yaml" in page.text
    assert http.get("/__mock/journal").json()["total"] == before  # the index is not journaled
    # not part of either vendor spec
    import yaml

    for name in ("stagepro", "stagerai"):
        spec = yaml.safe_load(http.get(f"/openapi/{name}.yaml").text)
        assert "/" not in spec["paths"]
