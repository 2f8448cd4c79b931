"""`POST /__mock/accounts` creates; it never silently replaces an account (409); PATCH changes."""

from __future__ import annotations


def test_creating_an_existing_account_is_a_409_and_keeps_its_jobs(http, stagemock_server):
    key = "sk_live_exists_409"
    stagemock_server.reset(key)
    assert http.post("/__mock/accounts", json={"api_key": key, "credits": 10}).status_code == 201
    auth = {"Authorization": f"Bearer {key}"}
    job = http.post("/api/v1/jobs", headers=auth, json={"type": "listing-tool", "input": {
        "image_url": "https://example.com/x.jpg", "listing_tool": "virtual-twilight"}})
    assert job.status_code == 202, job.text
    again = http.post("/__mock/accounts", json={"api_key": key, "credits": 99})
    assert again.status_code == 409
    err = again.json()["error"]
    assert err["code"] == "account_exists" and err["field"] == "api_key" and "PATCH" in err["message"]
    assert http.get(f"/api/v1/jobs/{job.json()['id']}", headers=auth).status_code == 200
    assert http.get(f"/__mock/accounts/{key}").json()["credits"] < 10  # untouched, one job charged
    assert http.patch(f"/__mock/accounts/{key}", json={"credits": 99}).status_code == 200
    for existing in ("sk_live_mock_funded", "stager_live_mock_key"):  # fixtures
        r = http.post("/__mock/accounts", json={"api_key": existing})
        assert r.status_code == 409 and r.json()["error"]["field"] == "api_key"
    stagemock_server.reset(key)
    assert http.post("/__mock/accounts", json={"api_key": key}).status_code == 201
    stagemock_server.reset(key)


def test_a_stagerai_account_is_not_replaced_either(http, stagemock_server):
    key = "stager_live_exists_409"
    stagemock_server.reset(key)
    assert http.post("/__mock/accounts", json={"api_key": key}).status_code == 201
    h = {"stager-api-key": key}
    project = http.post("/api/projects", headers=h, json={"title": "keep"}).json()
    assert http.post("/__mock/accounts", json={"api_key": key}).status_code == 409
    projects = http.get(f"/__mock/accounts/{key}/stagerai").json()["projects"]
    assert [p["id"] for p in projects] == [project["id"]]
    stagemock_server.reset(key)
