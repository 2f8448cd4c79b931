"""Authentication exactly as PRODUCT.md fixes it, for both APIs."""

import pytest

CAPS = "/api/v1/capabilities"


@pytest.mark.parametrize(
    "headers,code",
    [
        ({}, "unauthorized"),
        ({"Authorization": "Token sk_test_x"}, "unauthorized"),
        ({"Authorization": "Bearer"}, "unauthorized"),
        ({"Authorization": "Bearer sk_nope_123"}, "invalid_api_key"),
        ({"Authorization": "Bearer sk_test_"}, "invalid_api_key"),
        ({"Authorization": "Bearer sk_live_does_not_exist"}, "invalid_api_key"),
        ({"Authorization": "Bearer sk_live_mock_revoked"}, "revoked_api_key"),
    ],
)
def test_stagepro_rejects_bad_keys_with_401_in_its_error_shape(http, headers, code):
    r = http.get(CAPS, headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]


@pytest.mark.parametrize("key", ["sk_test_anything", "sk_live_mock_funded", "sk_live_mock_no_credits"])
def test_stagepro_accepts_test_keys_and_existing_live_keys(http, key):
    r = http.get(CAPS, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text


def test_each_test_key_is_its_own_account(http, stagemock_server):
    for key in ("sk_test_alpha_iso", "sk_test_beta_iso"):
        assert http.get("/api/v1/usage", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    a = http.get("/__mock/accounts/sk_test_alpha_iso").json()
    b = http.get("/__mock/accounts/sk_test_beta_iso").json()
    assert a["api_key"] != b["api_key"] and a["livemode"] is False and a["credits"] is None
    stagemock_server.reset("sk_test_alpha_iso")
    stagemock_server.reset("sk_test_beta_iso")


def test_revoking_a_key_takes_effect_at_once(http, stagemock_server):
    key = "sk_live_revoke_me"
    assert http.post("/__mock/accounts", json={"api_key": key, "credits": 5}).status_code == 201
    auth = {"Authorization": f"Bearer {key}"}
    assert http.get(CAPS, headers=auth).status_code == 200
    assert http.patch(f"/__mock/accounts/{key}", json={"revoked": True}).status_code == 200
    r = http.get(CAPS, headers=auth)
    assert r.status_code == 401 and r.json()["error"]["code"] == "revoked_api_key"
    stagemock_server.reset(key)


def test_console_endpoints_refuse_api_keys_and_accept_sessions(http):
    auth = {"Authorization": "Bearer sk_test_console_user"}
    r = http.get("/api/v1/keys", headers=auth)
    assert r.status_code == 401
    assert "stagepro_session" in r.json()["error"]["message"]
    token = http.post("/__mock/console-sessions", json={"api_key": "sk_test_console_user"})
    assert token.status_code == 201
    cookie = {"Cookie": f"stagepro_session={token.json()['token']}"}
    assert http.get("/api/v1/keys", headers=cookie).status_code != 401
    # ...and API endpoints refuse the session cookie
    r = http.get(CAPS, headers=cookie)
    assert r.status_code == 401 and "API key" in r.json()["error"]["message"]
    bad = http.get("/api/v1/keys", headers={"Cookie": "stagepro_session=cs_forged"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_session"


def test_a_console_session_answers_the_fields_control_plane_md_names(http):
    """docs/control-plane.md's row names every field of the answer, and ``cookie`` is the
    whole header value the console endpoints take."""
    from tests.conftest import ROOT

    got = http.post("/__mock/console-sessions", json={"api_key": "sk_test_console_doc"}).json()
    assert sorted(got) == ["api_key", "cookie", "token"]
    assert got["cookie"] == f"stagepro_session={got['token']}"
    assert http.get("/api/v1/keys", headers={"Cookie": got["cookie"]}).status_code == 200
    row = next(line for line in (ROOT / "docs" / "control-plane.md").read_text().splitlines()
               if line.startswith("| `POST /__mock/console-sessions"))
    assert all(f'"{name}"' in row for name in got), row


def test_console_session_for_revoked_key_is_refused(http):
    r = http.post("/__mock/console-sessions", json={"api_key": "sk_live_mock_revoked"})
    assert r.status_code == 401


@pytest.mark.parametrize("headers", [{}, {"stager-api-key": "nope"}, {"stager-api-key": "sk_test_x"}])
def test_stagerai_rejects_missing_and_unknown_keys_in_its_envelope(http, headers):
    r = http.post("/api/projects", json={"title": "x"}, headers=headers)
    assert r.status_code == 401
    body = r.json()
    assert body["success"] is False
    assert body["error"]["code"] == "unauthorized"
    assert body["error"]["field"] == "stager-api-key"


@pytest.mark.parametrize("key", ["stager_test_abc", "stager_live_mock_key"])
def test_stagerai_accepts_test_and_fixture_keys(http, key):
    r = http.post("/api/projects", json={"title": "x"}, headers={"stager-api-key": key})
    assert r.status_code != 401, r.text
