"""Two ordinary client sessions written from the references alone (the way an integrator
reading them would drive each API), used to put traffic through the proxy in front of a twin
and to record it for ``replay`` and ``drift``.

Each follows its reference's own walk-through and nothing else: StagePro's "Create a job",
"Poll for results", "Batch processing", "List jobs by listing"; Stager AI's HDR merge
(project, group, signed uploads, enhance, poll) and one staging, lawn and sky call. Where a
twin's breaking variant renames a documented field, the session reads the other name too,
so the rest of the walk still happens (what is compared is the answers, not the client)."""

from __future__ import annotations

import io
import time

import httpx
from PIL import Image

#: Seconds between polls (the reference says 3–5 s; the twins finish in about one).
POLL = 0.4
POLLS = 12


def _jpeg(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (shade, shade, shade)).save(out, "JPEG")
    return out.getvalue()


def stagepro(base_url: str, key: str = "sk_test_session") -> None:
    with httpx.Client(base_url=base_url, timeout=30,
                      headers={"Authorization": f"Bearer {key}"}) as api:
        api.get("/capabilities")
        job = api.post("/jobs", json={
            "type": "virtual-stage",
            "input": {"image_url": "https://example.com/room.jpg", "style": "modern",
                      "room_type": "living-room"},
            "metadata": {"listing_id": "MLS-12345", "photo_index": 1},
        }).json()
        for _ in range(POLLS):
            time.sleep(POLL)
            if api.get(f"/jobs/{job['id']}").json().get("status") in ("completed", "failed"):
                break
        batch = api.post("/batches", json={
            "type": "listing-tool", "input": {"listing_tool": "room-declutter"},
            "listing_id": "MLS-8842",
            "photos": [{"image_url": "https://example.com/kitchen.jpg", "label": "kitchen"}],
        }).json()
        batch_id = batch.get("batch_id") or batch.get("batchId")
        if batch_id:
            api.get(f"/batches/{batch_id}")
        api.get("/usage")
        api.get("/jobs", params={"listing_id": "MLS-8842", "limit": 50})


def stagerai(base_url: str, key: str = "stager_test_session") -> None:
    with httpx.Client(base_url=base_url, timeout=30, headers={"stager-api-key": key}) as api:
        project = api.post("/api/projects", json={"title": "123 Main Street Suite"}).json()["id"]
        group = api.post("/api/hdr-image-group", json={
            "projectId": project, "lensCorrection": True, "perspectiveCorrection": True,
            "photographerRemoval": True}).json()["groupId"]
        for i, shade in enumerate((60, 200)):
            answer = api.post("/api/hdr-upload-url", json={
                "projectId": project, "groupId": group, "filename": f"bracket_{i}.jpg"}).json()
            url = answer.get("uploadUrl") or answer.get("signedUrl")
            httpx.put(url, content=_jpeg(shade), headers={"Content-Type": "image/jpeg"},
                      timeout=30)
        api.post("/api/hdr-enhance", json={"projectId": project, "groupId": group})
        for _ in range(POLLS):
            time.sleep(POLL)
            if api.get(f"/api/hdr-image-group/{group}").json().get("status") == "completed":
                break
        image = api.post("/api/image", files={"File": ("room.jpg", _jpeg(120), "image/jpeg")})
        image_id = image.json()["data"]["id"]
        api.post(f"/api/images/{image_id}/stage", json={
            "roomType": "LIVING_ROOM", "roomStyle": "modern", "actionType": "subtleStaging",
            "resolution": "high", "colorTypes": ["classicWhite", "naturalWood"],
            "removeFurniture": False})
        api.post(f"/api/images/{image_id}/lawn-replace",
                 json={"lawnType": "medium", "resolution": "high"})
        api.post(f"/api/images/{image_id}/sky-replace",
                 json={"skyType": "twilight", "resolution": "high", "skySubType": "dramatic"})


SESSIONS = {"stagepro": stagepro, "stagerai": stagerai}
