"""Stager AI properties that use only the vendor API."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from contract_tests.checks import check

from .helpers import (
    RuleFailure,
    expect_status,
    field,
    note,
    refused,
    url_of,
    wait_until_ended,
)

#: The reference shows upload URLs on storage.googleapis.com, never a refused one.
TAMPER_GUESS = ("the reference shows a storage.googleapis.com upload URL, not its signing: "
                "that a tampered URL gets GCS's 403 SignatureDoesNotMatch is this mock's "
                "emulation of GCS V4 signed URLs")
#: The reference requires the header on every request; it never says which keys are valid.
UNKNOWN_KEY_GUESS = ("the reference says every request needs the stager-api-key header, not "
                     "that a key it did not issue is refused: refusing unknown keys is this "
                     "mock's")


@check("auth_required", api="stagerai")
@pytest.mark.parametrize("headers", [{}, {"stager-api-key": "stager_definitely_unknown_key"}])
def test_stagerai_bad_or_missing_keys_get_401(target, headers):
    r = httpx.post(
        target.base_url + "/api/projects", json={"title": "x"}, headers=headers, timeout=30
    )
    # the key is required (documented); that a key the vendor never issued is refused, and
    # that the refusal is a 401, are guesses of the spec
    if r.is_success and headers:
        raise RuleFailure(f"POST /api/projects with an unknown key answered {r.status_code}",
                          UNKNOWN_KEY_GUESS)
    assert not r.is_success, f"POST /api/projects without a key answered {r.status_code}"
    expect_status(r, 401)
    assert field(r, "success")["success"] is False, "401 body is not the {success: false} envelope"


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 130, 140)).save(buf, "JPEG")
    return buf.getvalue()


@check("signed_upload", api="stagerai")
def test_stagerai_signed_upload_flow_and_tampering(target, client):
    project = field(client.post("/api/projects", json={"title": "contract"}), "id")
    group = field(client.post("/api/hdr-image-group", json={"projectId": project["id"]}), "groupId")
    r = client.post(
        "/api/hdr-upload-url",
        json={"projectId": project["id"], "groupId": group["groupId"], "filename": "b.jpg"},
    )
    expect_status(r, 200)
    url = url_of(r, "uploadUrl")
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if "X-Goog-Signature" not in query:
        # the reference shows a storage.googleapis.com URL, not how it is signed: a server
        # that signs its own way is noted, and its upload still tried
        note(RuleFailure(f"the upload URL is not a GCS V4 signed URL ({parts.path}): its "
                         "tampering was not tried", TAMPER_GUESS))
    else:
        sig = query["X-Goog-Signature"]
        query["X-Goog-Signature"] = ("0" if sig[0] != "0" else "1") + sig[1:]
        tampered = urlunsplit(parts._replace(query=urlencode(query)))
        bad = httpx.put(tampered, content=_jpeg(), headers={"content-type": "image/jpeg"},
                        timeout=30)
        if not (bad.status_code == 403 and b"SignatureDoesNotMatch" in bad.content):
            raise RuleFailure(f"tampered signed URL answered {bad.status_code}", TAMPER_GUESS)
    good = httpx.put(url, content=_jpeg(), headers={"content-type": "image/jpeg"}, timeout=30)
    assert good.status_code == 200, f"signed PUT answered {good.status_code}: {good.text[:200]}"
    expect_status(
        client.post(
            "/api/hdr-enhance", json={"projectId": project["id"], "groupId": group["groupId"]}
        ),
        200,
    )
    def poll():
        status = field(client.get(f"/api/hdr-image-group/{group['groupId']}"), "status")
        return status["status"], status

    status = wait_until_ended(target, f"HDR group {group['groupId']}", poll)
    assert status["status"] == "completed", f"HDR group ended {status}"
    assert httpx.get(status["imageUrl"], timeout=30).status_code == 200


@check("object_isolation", api="stagerai")
def test_stagerai_other_key_never_sees_first_keys_objects(target, client):
    if not target.other_api_key:
        pytest.skip("needs --other-api-key (a second account)")
    project = field(client.post("/api/projects", json={"title": "mine"}), "id")
    group = field(client.post("/api/hdr-image-group", json={"projectId": project["id"]}), "groupId")
    other = httpx.Client(
        base_url=target.base_url, headers=target.auth_headers(target.other_api_key), timeout=30
    )
    r = other.get(f"/api/hdr-image-group/{group['groupId']}")
    refused(r, f"another account read group {group['groupId']}", 404)  # 404: a guess
