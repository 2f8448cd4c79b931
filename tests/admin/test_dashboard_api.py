"""The dashboard's page and JSON over plain HTTP (the browser tests are in tests/ui)."""

from __future__ import annotations

from pathlib import Path

import httpx

from mock_server.admin.dashboard import mask

ROOT = Path(__file__).resolve().parents[2]
BRACKET = sorted((ROOT / "fixtures" / "brackets").glob("*.jpg"))[0].read_bytes()


def test_page_and_assets_are_served_with_a_strict_csp(http):
    page = http.get("/__mock/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert '<script src="/__mock/ui/app.js"' in page.text and "http" not in page.text  # offline
    assert http.get("/__mock/ui/app.js").headers["content-type"].startswith("text/javascript")
    assert http.get("/__mock/ui/app.css").headers["content-type"].startswith("text/css")
    assert http.get("/__mock/ui/..%2Fhandlers.py").status_code in (400, 404)
    assert "innerHTML" not in http.get("/__mock/ui/app.js").text


def test_masking():
    assert mask("sk_test_abcdefgh") == "sk_test_…efgh"
    assert mask("stager_live_mock_key") == "stager_live_…_key"
    assert mask("whsec_0123456789") == "whsec_…6789"
    assert mask("sk_test_ab") == "sk_test_ab"


def test_accounts_jobs_and_input_preview(http, sp, stagepro_mock):
    job = sp.post("/jobs", json={"type": "edit", "input": {
        "image_url": "https://x.test/fail-image_too_dark.jpg"}, "metadata": {"listing_id": "L9"}}
    ).json()
    key = stagepro_mock.api_key
    accounts = http.get("/__mock/accounts").json()["data"]
    mine = next(a for a in accounts if a["api_key"] == key)
    assert mine["jobs"]["queued"] == 1 and mine["masked_key"] == mask(key)
    rows = http.get(f"/__mock/accounts/{key}/jobs", params={"listing_id": "L9"}).json()
    assert [r["job"]["id"] for r in rows["data"]] == [job["id"]] and rows["listings"] == ["L9"]
    assert rows["data"][0]["job"] == sp.get(f"/jobs/{job['id']}").json()  # the API's JSON
    stagepro_mock.advance(60)
    one = http.get(f"/__mock/accounts/{key}/jobs/{job['id']}").json()
    assert [s["status"] for s in one["timeline"]] == ["queued", "processing", "failed"]
    image = http.get(one["input_preview"])
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"
    assert http.get(f"/__mock/accounts/{key}/jobs/job_nope").status_code == 404
    assert http.get("/__mock/accounts/sk_test_never_seen_xyz/jobs").status_code == 404


def test_blobs_never_serve_an_upload_as_a_page(http, sa, stagerai_mock):
    project = sa.post("/api/projects", json={"title": "x"}).json()
    group = sa.post("/api/hdr-image-group", json={"projectId": project["id"]}).json()
    up = sa.post("/api/hdr-upload-url", json={"projectId": project["id"],
                                              "groupId": group["groupId"],
                                              "filename": "a.jpg"}).json()
    html = b"<html><script>alert(1)</script></html>"
    assert httpx.put(up["uploadUrl"], content=html).status_code == 200  # not checked by GCS
    state = http.get(f"/__mock/accounts/{stagerai_mock.api_key}/stagerai").json()
    bracket = state["projects"][0]["groups"][0]["brackets"][0]
    r = http.get(bracket["preview"])
    assert r.status_code == 200 and r.content == html
    assert r.headers["content-type"] in ("application/octet-stream", "image/jpeg")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]
    assert http.get("/__mock/blobs", params={"key": "nope"}).status_code == 404
    # a Stager AI account has no StagePro jobs: empty, not an error
    empty = http.get(f"/__mock/accounts/{stagerai_mock.api_key}/jobs").json()
    assert empty == {"data": [], "listings": []}
