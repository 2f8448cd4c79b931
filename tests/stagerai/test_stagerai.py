"""Stager AI over real HTTP: every reference example, the full HDR flow through signed URLs,
signature tampering and expiry, the bracket limit, resolutions and option effects on pixels."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import numpy as np
import pytest
import yaml
from PIL import Image

from mock_server.images.hdr import mean_luminance

ROOT = Path(__file__).resolve().parents[2]
BRACKETS = sorted((ROOT / "fixtures" / "brackets").glob("*.jpg"))
EXTERIOR = (ROOT / "fixtures" / "photos" / "exterior.jpg").read_bytes()


def _group(sa, **flags):
    project = sa.post("/api/projects", json={"title": "123 Main Street Suite"}).json()
    group = sa.post("/api/hdr-image-group", json={"projectId": project["id"], **flags}).json()
    return project["id"], group["groupId"]


def _upload_url(sa, project_id, group_id, name="b.jpg"):
    r = sa.post("/api/hdr-upload-url", json={"projectId": project_id, "groupId": group_id, "filename": name})
    assert r.status_code == 200, r.text
    return r.json()["uploadUrl"]


def _image(sa) -> str:
    r = sa.post("/api/image", files={"file": ("house.jpg", EXTERIOR, "image/jpeg")})
    assert r.status_code == 200
    return r.json()["data"]["id"]


def _pixels(url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(httpx.get(url).content)).convert("RGB"), np.float32)


def test_full_hdr_flow(sa, stagerai_mock):
    project_id, group_id = _group(sa, lensCorrection=True, perspectiveCorrection=True, photographerRemoval=True)
    assert sa.get(f"/api/hdr-image-group/{group_id}").json() == {"status": "pending"}
    for path in BRACKETS:
        url = _upload_url(sa, project_id, group_id, path.name)
        r = httpx.put(url, content=path.read_bytes(), headers={"content-type": "image/jpeg"})
        assert r.status_code == 200 and r.headers["etag"]
    assert sa.post("/api/hdr-enhance", json={"projectId": project_id, "groupId": group_id}).json() == {}
    assert sa.get(f"/api/hdr-image-group/{group_id}").json() == {"status": "processing"}
    stagerai_mock.advance(10)
    done = sa.get(f"/api/hdr-image-group/{group_id}").json()
    assert done["status"] == "completed"
    data = httpx.get(done["imageUrl"]).content
    lums = [mean_luminance(p.read_bytes()) for p in BRACKETS]
    assert min(lums) < mean_luminance(data) < max(lums)
    assert Image.open(io.BytesIO(data)).format == "JPEG"


def test_bracket_uploaded_after_enhance_is_in_the_merge(sa, stagerai_mock):
    """The merge starts in a worker process at enhance time; a bracket PUT afterwards (to an
    upload URL issued before) still counts, exactly as if the merge ran at completion."""
    from mock_server.images.hdr import merge_brackets

    project_id, group_id = _group(sa)
    urls = [_upload_url(sa, project_id, group_id, p.name) for p in BRACKETS]
    put = [httpx.put(u, content=p.read_bytes(), headers={"content-type": "image/jpeg"})
           for u, p in zip(urls[:1], BRACKETS[:1], strict=True)]
    assert put[0].status_code == 200
    sa.post("/api/hdr-enhance", json={"projectId": project_id, "groupId": group_id})
    for url, path in zip(urls[1:], BRACKETS[1:], strict=True):
        r = httpx.put(url, content=path.read_bytes(), headers={"content-type": "image/jpeg"})
        assert r.status_code == 200
    stagerai_mock.advance(10)
    done = sa.get(f"/api/hdr-image-group/{group_id}").json()
    expected, _, _ = merge_brackets([p.read_bytes() for p in BRACKETS], lens_correction=False,
                                    perspective_correction=False, photographer_removal=False)
    assert httpx.get(done["imageUrl"]).content == expected


def test_enhance_needs_an_uploaded_bracket(sa):
    project_id, group_id = _group(sa)
    _upload_url(sa, project_id, group_id)  # issued but never uploaded
    r = sa.post("/api/hdr-enhance", json={"projectId": project_id, "groupId": group_id})
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_brackets"


def test_at_most_seven_brackets(sa):
    project_id, group_id = _group(sa)
    for i in range(7):
        _upload_url(sa, project_id, group_id, f"{i}.jpg")
    r = sa.post("/api/hdr-upload-url", json={"projectId": project_id, "groupId": group_id, "filename": "8.jpg"})
    assert r.status_code == 400
    assert r.json() == {"success": False, "error": {"code": "too_many_brackets", "message": r.json()["error"]["message"], "field": "groupId"}}


def test_tampered_signed_url_is_403_xml(sa):
    project_id, group_id = _group(sa)
    url = _upload_url(sa, project_id, group_id)
    parts = urlsplit(url)
    for key, value in (("X-Goog-Expires", "604800"), ("X-Goog-Signature", None)):
        q = dict(parse_qsl(parts.query))
        q[key] = value or ("0" * len(q[key]))
        r = httpx.put(urlunsplit(parts._replace(query=urlencode(q))), content=b"x")
        assert r.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in r.content
        assert r.headers["content-type"].startswith("application/xml")
    other_object = url.replace("/b.jpg?", "/c.jpg?")
    assert httpx.put(other_object, content=b"x").status_code == 403


@pytest.mark.parametrize("forged", ["é" * 64, "\u00ff", "0" * 63 + "\u2603"])
def test_a_non_ascii_signature_is_403_not_500(sa, forged):
    """issue 34: ``X-Goog-Signature`` holding non-ASCII characters made ``hmac.compare_digest``
    raise TypeError (a 500); GCS answers such a signature 403 SignatureDoesNotMatch in XML."""
    project_id, group_id = _group(sa)
    parts = urlsplit(_upload_url(sa, project_id, group_id))
    q = dict(parse_qsl(parts.query))
    q["X-Goog-Signature"] = forged
    r = httpx.put(urlunsplit(parts._replace(query=urlencode(q))), content=b"x")
    assert r.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in r.content, r.text
    assert r.headers["content-type"].startswith("application/xml")


def test_expired_signed_url_is_400_expired_token(sa, stagerai_mock):
    project_id, group_id = _group(sa)
    url = _upload_url(sa, project_id, group_id)
    stagerai_mock.advance(901)
    r = httpx.put(url, content=BRACKETS[0].read_bytes())
    assert r.status_code == 400 and b"<Code>ExpiredToken</Code>" in r.content


def test_malformed_signed_url_is_400_xml(sa):
    project_id, group_id = _group(sa)
    url = _upload_url(sa, project_id, group_id)
    r = httpx.put(url.split("?")[0] + "?X-Goog-Algorithm=GOOG4-HMAC-SHA256", content=b"x")
    assert r.status_code == 400 and r.content.startswith(b"<?xml")


def test_signed_url_is_checked_before_the_body(sa):
    """GCS authenticates first: a bad signature with an empty body (or a wrong Content-Type)
    is 403 SignatureDoesNotMatch, not 400 about the body."""
    project_id, group_id = _group(sa)
    parts = urlsplit(_upload_url(sa, project_id, group_id))
    q = dict(parse_qsl(parts.query))
    q["X-Goog-Signature"] = "0" * len(q["X-Goog-Signature"])
    bad = urlunsplit(parts._replace(query=urlencode(q)))
    for body, ctype in ((b"", "image/jpeg"), (b"x", "text/plain")):
        r = httpx.put(bad, content=body, headers={"content-type": ctype})
        assert r.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in r.content, r.text
        assert r.headers["content-type"].startswith("application/xml")
    # with the right signature, the empty body is the problem
    good = httpx.put(urlunsplit(parts), content=b"", headers={"content-type": "image/jpeg"})
    assert good.status_code == 400 and b"<Code>InvalidArgument</Code>" in good.content


def test_a_bracket_takes_any_content_type_but_must_be_an_image(sa, stagerai_mock):
    """openapi/stagerai.yaml, putSignedUpload's body: any Content-Type is stored as sent (GCS,
    when the type is not signed); bytes that are no image fail the merge with invalid_bracket."""
    project_id, group_id = _group(sa)
    good = httpx.put(_upload_url(sa, project_id, group_id, "a.jpg"), content=BRACKETS[0].read_bytes(),
                     headers={"content-type": "application/x-www-form-urlencoded"})
    bad = httpx.put(_upload_url(sa, project_id, group_id, "b.jpg"), content=b"not an image",
                    headers={"content-type": "text/plain"})
    assert good.status_code == bad.status_code == 200, (good.text, bad.text)
    assert sa.post("/api/hdr-enhance", json={"projectId": project_id, "groupId": group_id}).json() == {}
    stagerai_mock.advance(10)
    done = sa.get(f"/api/hdr-image-group/{group_id}").json()
    assert done["status"] == "failed" and done["error"]["code"] == "invalid_bracket", done


def test_malformed_storage_paths_answer_gcs_xml(sa, stagerai_mock):
    """A line feed in the object name or an extra `/` gets GCS's XML, never the JSON 404."""
    project_id, group_id = _group(sa)
    parts = urlsplit(_upload_url(sa, project_id, group_id))
    root = stagerai_mock.base_url
    xml = lambda r: r.headers["content-type"].startswith("application/xml") and r.content.startswith(b"<?xml")  # noqa: E731
    for path in ("/gcs/stager-final-results/a%0Ab.jpg", "/gcs//stager-final-results/x.jpg", "/gcs/", "/gcs/stager-final-results/"):
        r = httpx.get(root + path)
        assert r.status_code == 400 and xml(r) and b"<Code>InvalidArgument</Code>" in r.content, (path, r.text)
    # a PUT is authenticated first: a path that was not signed → 403
    for path in (parts.path.replace("/b.jpg", "/b%0A.jpg"), parts.path.replace("/gcs/", "/gcs//"),
                 parts.path.replace("/b.jpg", "//b.jpg")):
        r = httpx.put(root + path + "?" + parts.query, content=b"x", headers={"content-type": "image/jpeg"})
        assert r.status_code == 403 and xml(r) and b"<Code>SignatureDoesNotMatch</Code>" in r.content, (path, r.text)
    r = httpx.delete(root + "/gcs/stager-final-results/x.jpg")
    assert r.status_code == 405 and xml(r) and r.headers["allow"] == "GET, PUT"


def test_unknown_project_and_group(sa):
    r = sa.post("/api/hdr-image-group", json={"projectId": "project_nope"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "project_not_found"
    project_id, _ = _group(sa)
    r = sa.post("/api/hdr-upload-url", json={"projectId": project_id, "groupId": "group_nope", "filename": "a.jpg"})
    assert r.status_code == 404 and r.json()["error"]["field"] == "groupId"
    assert sa.get("/api/hdr-image-group/group_nope").status_code == 404


def test_upload_image_reads_real_dimensions_and_refuses_non_images(sa):
    r = sa.post("/api/image", files={"file": ("house.jpg", EXTERIOR, "image/jpeg")}).json()
    assert r["success"] is True and (r["data"]["width"], r["data"]["height"]) == (1024, 768)
    assert httpx.get(r["data"]["imageUrl"]).content == EXTERIOR
    bad = sa.post("/api/image", files={"file": ("x.jpg", b"not an image", "image/jpeg")})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "file"


@pytest.mark.parametrize("part", ["File", "file"])
def test_upload_image_takes_the_reference_part_name_file_or_lowercase(sa, part):
    """The reference (seeds/001, Section 3.1) names the form part `File`; `file` works too."""
    r = sa.post("/api/image", files={part: ("house.jpg", EXTERIOR, "image/jpeg")})
    assert r.status_code == 200, r.text
    assert (r.json()["data"]["width"], r.json()["data"]["height"]) == (1024, 768)
    bad = sa.post("/api/image", files={part: ("x.jpg", b"not an image", "image/jpeg")})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == part


def test_upload_image_needs_exactly_one_file_part(sa):
    none = sa.post("/api/image", files={"photo": ("x.jpg", EXTERIOR, "image/jpeg")})
    assert none.status_code == 400 and none.json()["success"] is False
    fields = [d["field"] for d in none.json()["error"]["details"]]
    assert "File" in fields and none.json()["error"]["field"] in ("photo", "File")
    both = sa.post("/api/image", files=[("File", ("a.jpg", EXTERIOR, "image/jpeg")),
                                        ("file", ("b.jpg", EXTERIOR, "image/jpeg"))])
    assert both.status_code == 400 and both.json()["error"]["field"] == "file"
    assert "only one" in both.json()["error"]["message"]


@pytest.mark.parametrize("resolution,edge", [("low", 768), ("high", 1920), ("superHigh", 3072)])
def test_resolution_sets_long_edge(sa, resolution, edge):
    image_id = _image(sa)
    data = sa.post(f"/api/images/{image_id}/sky-replace", json={"skyType": "blue", "resolution": resolution}).json()["data"][0]
    assert max(data["width"], data["height"]) == edge and data["width"] * 3 == data["height"] * 4


def _vendor_example(operation_id: str) -> tuple[dict, dict]:
    """The reference's request body and first result of one edit, as the spec carries them
    (``examples.vendor``: checked against the reference by tests/spec)."""
    spec = yaml.safe_load((ROOT / "openapi" / "stagerai.yaml").read_text())
    op = next(o for item in spec["paths"].values() for o in item.values()
              if isinstance(o, dict) and o.get("operationId") == operation_id)
    request = op["requestBody"]["content"]["application/json"]["examples"]["vendor"]["value"]
    response = op["responses"]["200"]["content"]["application/json"]["examples"]["vendor"]["value"]
    return request, response["data"][0]


@pytest.mark.parametrize(("operation_id", "path"), [
    ("stageImage", "stage"), ("replaceLawn", "lawn-replace"), ("replaceSky", "sky-replace"),
])
def test_vendor_edit_examples_keep_1920x1280_at_high(sa, operation_id, path):
    """Every edit example of the reference (seeds/001, Section 3) answers 1920×1280 for the
    1920×1280 upload of its own example, at ``"resolution": "high"``."""
    request, result = _vendor_example(operation_id)
    assert request["resolution"] == "high" and (result["width"], result["height"]) == (1920, 1280)
    buf = io.BytesIO()
    Image.open(io.BytesIO(EXTERIOR)).resize((1920, 1280)).save(buf, "JPEG")
    up = sa.post("/api/image", files={"File": ("room.jpg", buf.getvalue(), "image/jpeg")}).json()["data"]
    assert (up["width"], up["height"]) == (1920, 1280)
    r = sa.post(f"/api/images/{up['id']}/{path}", json=request)
    assert r.status_code == 200, r.text
    data = r.json()["data"][0]
    assert (data["width"], data["height"]) == (result["width"], result["height"])
    got = httpx.get(data["imageUrl"])
    assert Image.open(io.BytesIO(got.content)).size == (1920, 1280)
    # A PNG, as the reference's example URL (`…/staged_output.png` etc.); HDR merges stay JPEG.
    assert result["imageUrl"].endswith(".png") and data["imageUrl"].endswith(".png")
    assert got.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(got.content)).format == "PNG"


def test_sky_options_change_pixels(sa):
    image_id = _image(sa)
    src = np.asarray(Image.open(io.BytesIO(EXTERIOR)).resize((768, 576)), np.float32)

    def sky(body):
        url = sa.post(f"/api/images/{image_id}/sky-replace", json={"resolution": "low", **body}).json()["data"][0]["imageUrl"]
        return _pixels(url)

    blue, twilight = sky({"skyType": "blue"}), sky({"skyType": "twilight"})
    top = slice(0, 576 // 4)
    assert blue[top, :, 2].mean() > src[top, :, 2].mean()
    ratio = lambda a: a[top, :, 0].mean() / a[top, :, 2].mean()  # noqa: E731
    assert ratio(twilight) > ratio(blue) and twilight.mean() < blue.mean()
    change = {s: np.abs(sky({"skyType": "blue", "skySubType": s})[top] - src[top]).mean() for s in ("subtle", "middle", "dramatic")}
    assert change["subtle"] < change["middle"] < change["dramatic"]


def test_lawn_strength(sa):
    image_id = _image(sa)

    def green(kind):
        arr = _pixels(sa.post(f"/api/images/{image_id}/lawn-replace", json={"lawnType": kind, "resolution": "low"}).json()["data"][0]["imageUrl"])
        bottom = arr[2 * arr.shape[0] // 3:]
        return bottom[..., 1].mean() / bottom.mean()

    assert green("light") < green("medium") < green("strong")


def test_stage_options_and_enums(sa):
    image_id = _image(sa)
    a = sa.post(f"/api/images/{image_id}/stage", json={"roomType": "LIVING_ROOM", "roomStyle": "modern", "resolution": "low"}).json()
    b = sa.post(f"/api/images/{image_id}/stage", json={"roomType": "LIVING_ROOM", "roomStyle": "modern", "resolution": "low", "colorTypes": ["navyBlue"], "actionType": "subtleStaging"}).json()
    assert httpx.get(a["data"][0]["imageUrl"]).content != httpx.get(b["data"][0]["imageUrl"]).content
    for body, field in (({"roomType": "LIVINGROOM", "roomStyle": "modern"}, "roomType"),
                        ({"roomType": "BEDROOM", "roomStyle": "modern", "colorTypes": ["pink"]}, "colorTypes[0]"),
                        ({"roomType": "BEDROOM"}, "roomStyle")):
        r = sa.post(f"/api/images/{image_id}/stage", json=body)
        assert r.status_code == 400 and r.json()["success"] is False and r.json()["error"]["field"] == field
    assert sa.post("/api/images/img_nope/stage", json={"roomType": "BEDROOM", "roomStyle": "modern"}).json()["error"]["code"] == "image_not_found"


def test_same_inputs_same_bytes(sa):
    image_id = _image(sa)
    body = {"skyType": "twilight", "resolution": "low", "skySubType": "dramatic"}
    a = sa.post(f"/api/images/{image_id}/sky-replace", json=body).json()["data"][0]["imageUrl"]
    b = sa.post(f"/api/images/{image_id}/sky-replace", json=body).json()["data"][0]["imageUrl"]
    assert httpx.get(a).content == httpx.get(b).content


def test_every_reference_example_replays(sa, stagerai_mock):
    """The reference's JSON examples, in order, with ids threaded through."""
    project = sa.post("/api/projects", json={"title": "123 Main Street Suite"}).json()
    group = sa.post("/api/hdr-image-group", json={"projectId": project["id"], "lensCorrection": True, "perspectiveCorrection": True, "photographerRemoval": True}).json()
    up = sa.post("/api/hdr-upload-url", json={"projectId": project["id"], "groupId": group["groupId"], "filename": "living_room_bright.jpg"}).json()
    assert httpx.put(up["uploadUrl"], content=BRACKETS[0].read_bytes()).status_code == 200
    assert sa.post("/api/hdr-enhance", json={"projectId": project["id"], "groupId": group["groupId"]}).json() == {}
    stagerai_mock.advance(10)
    assert sa.get(f"/api/hdr-image-group/{group['groupId']}").json()["status"] == "completed"
    image_id = _image(sa)
    examples = [
        ("stage", {"roomType": "LIVING_ROOM", "roomStyle": "modern", "actionType": "subtleStaging", "resolution": "high", "colorTypes": ["classicWhite", "naturalWood"], "removeFurniture": False, "extraInstructions": "Add a luxury linen sofa assembly"}),
        ("lawn-replace", {"lawnType": "medium", "resolution": "high", "extraInstructions": "Keep the stone pathway intact"}),
        ("sky-replace", {"skyType": "twilight", "resolution": "high", "skySubType": "dramatic"}),
    ]
    for path, body in examples:
        r = sa.post(f"/api/images/{image_id}/{path}", json=body)
        assert r.status_code == 200 and r.json()["success"] is True
        assert httpx.get(r.json()["data"][0]["imageUrl"]).status_code == 200


def test_clock_jump_awaits_a_running_merge(sa, stagerai_mock, stagemock_server, gated_renders):
    """The HDR merge runs in a worker from enhance on; a clock jump past its completion waits
    for it without blocking the event loop."""
    import threading

    project_id, group_id = _group(sa)
    for path in BRACKETS:
        httpx.put(_upload_url(sa, project_id, group_id, path.name), content=path.read_bytes(),
                  headers={"content-type": "image/jpeg"})
    sa.post("/api/hdr-enhance", json={"projectId": project_id, "groupId": group_id})
    jump = threading.Thread(target=stagerai_mock.advance, args=(10,))
    jump.start()
    jump.join(0.3)
    assert jump.is_alive(), "the jump must wait for the merge it needs"
    other = httpx.post(f"{stagemock_server.url}/api/projects", json={"title": "x"},
                       headers={"stager-api-key": "stager_test_someone_else"}, timeout=2)
    assert other.status_code == 200, "the event loop must stay free while a merge runs"
    gated_renders.set()
    jump.join(30)
    assert sa.get(f"/api/hdr-image-group/{group_id}").json()["status"] == "completed"


FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_json_sent_as_curl_d_without_header_is_read_as_json_and_noted(sa, stagerai_mock):
    """The reference's examples (seeds/001) never show a Content-Type header: curl -d then
    labels the JSON `application/x-www-form-urlencoded`. It is read as JSON, with a warning."""
    r = sa.post("/api/projects", content=b'{"title": "123 Main Street Suite"}', headers=FORM)
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "123 Main Street Suite"
    entry = stagerai_mock.journal()[-1]
    assert entry["operation_id"] == "createProject" and entry["conformant"] is True
    assert entry["violations"] == []
    assert entry["warnings"][0]["field"] == "Content-Type"
    assert "read as JSON" in entry["warnings"][0]["message"]
    # still validated against the spec, naming the field
    bad = sa.post("/api/projects", content=b'{"titel": "x"}', headers=FORM)
    assert bad.status_code == 400 and bad.json()["error"]["field"] in ("title", "titel")
    # a real form body is not JSON: still 415
    form = sa.post("/api/projects", content=b"title=x", headers=FORM)
    assert form.status_code == 415 and form.json()["error"]["field"] == "Content-Type"
    # a request with the header has no warning
    sa.post("/api/projects", json={"title": "y"})
    assert stagerai_mock.journal()[-1]["warnings"] == []


def test_stagepro_keeps_requiring_the_json_content_type(sp):
    """StagePro's reference shows `-H "Content-Type: application/json"` on every body."""
    body = b'{"type": "listing-tool", "input": {"image_url": "https://example.com/a.jpg", "listing_tool": "virtual-twilight"}}'
    r = sp.post("/jobs", content=body, headers=FORM)
    assert r.status_code == 415 and r.json()["error"]["field"] == "Content-Type"


def test_signed_urls_do_not_depend_on_the_host_header(stagemock_server):
    """The signature covers the path and the query for a fixed host, as GCS's: a URL issued
    through `localhost` works through `127.0.0.1`, and with `--public-url` through its Host."""
    from pathlib import Path

    from mock_server.settings import Settings
    from mock_server.testing import RunningServer

    bracket = (Path(__file__).resolve().parents[2] / "fixtures/brackets/living_room_ev0.jpg").read_bytes()
    key = "stager_test_signed_host"
    stagemock_server.reset(key)
    port = stagemock_server.port
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"stager-api-key": key, "Host": f"localhost:{port}"}) as sa:
        project_id, group_id = _group(sa)
        url = _upload_url(sa, project_id, group_id)
    assert url.startswith(f"http://localhost:{port}/gcs/")
    r = httpx.put(url.replace("localhost", "127.0.0.1", 1), content=bracket, headers={"content-type": "image/jpeg"})
    assert r.status_code == 200, r.text
    stagemock_server.reset(key)

    with RunningServer(Settings(deterministic=True, public_url="http://mock.example:9999", image_workers=0)) as srv, \
            httpx.Client(base_url=srv.url, headers={"stager-api-key": key}) as sa:
        project_id, group_id = _group(sa)
        url = _upload_url(sa, project_id, group_id)
        assert url.startswith("http://mock.example:9999/gcs/")
        local = url.replace("http://mock.example:9999", srv.url, 1)
        r = httpx.put(local, content=bracket, headers={"content-type": "image/jpeg", "Host": "mock.example:9999"})
        assert r.status_code == 200, r.text
        # still a signature: another path with the same query is refused
        r = httpx.put(local.replace("/b.jpg", "/c.jpg"), content=bracket, headers={"Host": "mock.example:9999"})
        assert r.status_code == 403 and b"SignatureDoesNotMatch" in r.content


def test_a_put_with_any_content_type_is_stored_as_sent(sa, stagerai_mock, stagemock_server):
    """`curl --data-binary` labels the bytes application/x-www-form-urlencoded; GCS accepts any
    type when it is not a signed header, and so does the mock, storing the type sent."""
    from pathlib import Path
    from urllib.parse import unquote

    bracket = (Path(__file__).resolve().parents[2] / "fixtures/brackets/living_room_ev0.jpg").read_bytes()
    project_id, group_id = _group(sa)
    url = _upload_url(sa, project_id, group_id, name="living_room_ev0.jpg")
    r = httpx.put(url, content=bracket, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200, r.text
    obj = unquote(urlsplit(url).path).removeprefix("/gcs/")
    blob = stagemock_server.context.blobs.get(f"gcs/{obj}")
    assert blob is not None and blob.content_type == "application/x-www-form-urlencoded"
    assert sa.post("/api/hdr-enhance", json={"projectId": project_id, "groupId": group_id}).status_code == 200
    stagerai_mock.advance(60)
    group = sa.get(f"/api/hdr-image-group/{group_id}").json()
    assert group["status"] == "completed", group
    entry = [e for e in stagemock_server.journal() if e["operation_id"] == "putSignedUpload"][-1]
    assert entry["conformant"], entry


def test_upload_image_takes_webp_as_readme_says(sa):
    """docs/stagerai.md: `/api/image` takes JPEG, PNG and WebP (issue 18 item 2)."""
    buf = io.BytesIO()
    Image.open(io.BytesIO(EXTERIOR)).save(buf, "WEBP", quality=80)
    r = sa.post("/api/image", files={"File": ("house.webp", buf.getvalue(), "image/webp")})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["width"], data["height"]) == (1024, 768) and data["imageUrl"].endswith(".webp")
    staged = sa.post(f"/api/images/{data['id']}/stage",
                     json={"roomType": "LIVING_ROOM", "roomStyle": "modern", "resolution": "low"})
    assert staged.status_code == 200, staged.text
    assert Image.open(io.BytesIO(httpx.get(staged.json()["data"][0]["imageUrl"]).content)).size == (768, 576)
