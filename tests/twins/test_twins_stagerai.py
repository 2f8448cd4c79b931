"""The Stager AI twin over real HTTP does what the Stager AI reference states (each test names
the reference section it exercises)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from tests.twins import stagerai as ref
from tests.twins.run import running_twin
from tests.twins.test_twins import jpeg
from tests.waiting import wait_for

JOB_SECONDS = 0.3


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with running_twin("stagerai", job_seconds=JOB_SECONDS) as url:
        yield url


@pytest.fixture
def sa(base: str) -> Iterator[httpx.Client]:
    """A client with this test's own stager-api-key (each key sees only its own things)."""
    with httpx.Client(base_url=base, headers={"stager-api-key": uuid.uuid4().hex},
                      timeout=10) as c:
        yield c


def new_group(sa: httpx.Client) -> tuple[str, str]:
    project = sa.post("/api/projects", json={"title": "123 Main Street Suite"})
    assert project.status_code == 200 and project.json()["title"] == "123 Main Street Suite"
    group = sa.post("/api/hdr-image-group", json={
        "projectId": project.json()["id"], "lensCorrection": True,
        "perspectiveCorrection": True, "photographerRemoval": True})
    assert group.status_code == 200 and set(group.json()) == {"groupId"}
    return project.json()["id"], group.json()["groupId"]


def test_an_hdr_group_of_two_signed_uploads_merges_to_completed(sa) -> None:
    """Section 2, steps 1-5: project, group, signed upload URLs, enhance, poll."""
    project, group = new_group(sa)
    for n, colour in enumerate([(30, 30, 30), (220, 220, 220)]):
        signed = sa.post("/api/hdr-upload-url", json={"projectId": project, "groupId": group,
                                                      "filename": f"bracket_{n}.jpg"})
        assert signed.status_code == 200 and set(signed.json()) == {"id", "uploadUrl"}
        put = httpx.put(signed.json()["uploadUrl"], content=jpeg((64, 48), colour))
        assert put.status_code == 200
    enhanced = sa.post("/api/hdr-enhance", json={"projectId": project, "groupId": group})
    assert enhanced.status_code == 200 and enhanced.json() == {}
    assert sa.get(f"/api/hdr-image-group/{group}").json() == {"status": "processing"}
    done = wait_for(lambda: (b := sa.get(f"/api/hdr-image-group/{group}").json())["status"]
                    != "processing" and b, 10, "the group finishing")
    assert done["status"] == "completed"
    merged = Image.open(io.BytesIO(httpx.get(done["imageUrl"]).content))
    assert merged.size == (64, 48)


def test_a_group_holds_at_most_seven_brackets(sa) -> None:
    """Section 2, step 3: max 7 photos per group."""
    project, group = new_group(sa)
    body = {"projectId": project, "groupId": group, "filename": "b.jpg"}
    for _ in range(ref.MAX_BRACKETS):
        assert sa.post("/api/hdr-upload-url", json=body).status_code == 200
    refused = sa.post("/api/hdr-upload-url", json=body)
    assert refused.status_code == 400 and refused.json()["success"] is False


def test_a_signed_url_accepts_only_its_own_signature(sa) -> None:
    project, group = new_group(sa)
    url = sa.post("/api/hdr-upload-url", json={"projectId": project, "groupId": group,
                                               "filename": "b.jpg"}).json()["uploadUrl"]
    forged = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert httpx.put(forged, content=jpeg()).status_code == 403
    assert httpx.put(url, content=jpeg()).status_code == 200


def test_enhancing_before_any_upload_is_refused_and_the_group_waits(sa) -> None:
    project, group = new_group(sa)
    assert sa.get(f"/api/hdr-image-group/{group}").json() == {"status": "pending"}
    assert sa.post("/api/hdr-enhance", json={"projectId": project,
                                             "groupId": group}).status_code == 400


def test_an_image_upload_reports_its_real_size(sa) -> None:
    """Section 3, step 1: multipart File, answered with success and data."""
    uploaded = sa.post("/api/image", files={"File": ("room.jpg", jpeg((123, 45)), "image/jpeg")})
    assert uploaded.status_code == 200
    body = uploaded.json()
    assert body["success"] is True
    assert set(body["data"]) == {"id", "imageUrl", "width", "height"}
    assert (body["data"]["width"], body["data"]["height"]) == (123, 45)
    assert sa.post("/api/image", files={"File": ("x.jpg", b"no image")}).status_code == 400
    assert sa.post("/api/image", files={"file": ("x.jpg", jpeg())}).status_code == 400


def image(sa: httpx.Client) -> str:
    return sa.post("/api/image", files={"File": ("r.jpg", jpeg((80, 60)))}).json()["data"]["id"]


def assert_results(answer: httpx.Response) -> list[dict]:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["success"] is True and body["data"]
    for item in body["data"]:
        assert set(item) == {"id", "imageUrl", "width", "height"}
    return body["data"]


def test_staging_takes_every_documented_value(sa) -> None:
    """Section 3, step 2: every value of each allowed configuration list."""
    image_id = image(sa)
    stage = f"/api/images/{image_id}/stage"
    example = {"roomType": "LIVING_ROOM", "roomStyle": "modern", "actionType": "subtleStaging",
               "resolution": "high", "colorTypes": ["classicWhite", "naturalWood"],
               "removeFurniture": False, "extraInstructions": "Add a luxury linen sofa assembly"}
    assert_results(sa.post(stage, json=example))
    for name, values in (("roomType", ref.ROOM_TYPES), ("roomStyle", ref.ROOM_STYLES),
                         ("actionType", ref.ACTION_TYPES), ("resolution", ref.RESOLUTIONS)):
        for value in values:
            assert_results(sa.post(stage, json={**example, name: value}))
        refused = sa.post(stage, json={**example, name: "somethingElse"})
        assert refused.status_code == 400, name
    assert_results(sa.post(stage, json={**example, "colorTypes": list(ref.COLOR_TYPES)}))
    assert sa.post(stage, json={**example, "colorTypes": ["pink"]}).status_code == 400


def test_resolution_sets_the_result_size(sa) -> None:
    image_id = image(sa)
    sizes = {r: assert_results(sa.post(f"/api/images/{image_id}/sky-replace",
                                       json={"skyType": "blue", "resolution": r}))[0]
             for r in ref.RESOLUTIONS}
    assert [(s["width"], s["height"]) for s in sizes.values()] == [(40, 30), (80, 60), (160, 120)]
    fetched = Image.open(io.BytesIO(httpx.get(sizes["high"]["imageUrl"]).content))
    assert fetched.size == (80, 60)


def test_lawn_replacement_takes_every_documented_value(sa) -> None:
    """Section 3, step 3: lawnType light | medium | strong."""
    lawn = f"/api/images/{image(sa)}/lawn-replace"
    for value in ref.LAWN_TYPES:
        assert_results(sa.post(lawn, json={"lawnType": value, "resolution": "high",
                                           "extraInstructions": "Keep the stone pathway"}))
    assert sa.post(lawn, json={"lawnType": "heavy"}).status_code == 400


def test_sky_replacement_takes_every_documented_value(sa) -> None:
    """Section 3, step 4: skyType blue | twilight, skySubType subtle | middle | dramatic."""
    sky = f"/api/images/{image(sa)}/sky-replace"
    for sky_type in ref.SKY_TYPES:
        for sub in ref.SKY_SUBTYPES:
            assert_results(sa.post(sky, json={"skyType": sky_type, "skySubType": sub,
                                              "resolution": "high"}))
    assert sa.post(sky, json={"skyType": "sunset"}).status_code == 400
    assert sa.post(sky, json={"skyType": "blue", "skySubType": "loud"}).status_code == 400


def test_every_request_needs_the_api_key(base: str) -> None:
    """Section 1, Authentication: the stager-api-key header on every request."""
    refused = httpx.post(f"{base}/api/projects", json={"title": "t"})
    assert refused.status_code == 403 and refused.json()["success"] is False


def test_one_key_cannot_see_anothers_group(base: str, sa) -> None:
    _project, group = new_group(sa)
    other = httpx.get(f"{base}/api/hdr-image-group/{group}", headers={"stager-api-key": "o"})
    assert other.status_code == 404
