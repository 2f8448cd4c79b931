"""A real image job on each API against a running mock (``--deterministic --seed 42``): the
proof that a trimmed install still renders, and renders the same bytes.

- StagePro: a listing-tool job in the account the golden session gives that tool, on the same
  photo, so its output's SHA-256 is pinned in ``tests/golden/hashes.json``
  (``sp.image.tool.add-furniture.0``): equal there means the image's NumPy and Pillow
  produce the committed bytes.
- Stager AI: a sky replacement of a WebP upload (Pillow's WebP decoder, the sky renderer),
  whose output must decode as a PNG at the default resolution's long edge (1920 px) with the
  upload's aspect ratio; its hash is returned for comparing two installs.

Used by ``test_image.py`` against the built image; run as a script against any server
(``python -m tests.container.image_jobs URL TOKEN``) to compare two installs by hand.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path

import httpx
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ROOT / "fixtures" / "photos"
PINNED = ROOT / "tests" / "golden" / "hashes.json"
TOOL = "add-furniture"  # an interior tool: the golden session shows it interior.jpg
SEED = 42  # the golden session's seed


def pinned_tool_hash() -> str:
    return str(json.loads(PINNED.read_text())[f"sp.image.tool.{TOOL}.0"])


def _stagepro(root: str, admin: dict[str, str]) -> str:
    sp = httpx.Client(base_url=f"{root}/api/v1", timeout=60,
                      headers={"Authorization": f"Bearer sk_test_golden_{TOOL}"})
    data = (PHOTOS / "interior.jpg").read_bytes()
    upload = sp.post("/uploads", files={"file": ("interior.jpg", data, "image/jpeg")})
    assert upload.status_code < 300, upload.text
    created = sp.post("/jobs", json={"type": "listing-tool", "input": {
        "upload_id": upload.json()["id"], "listing_tool": TOOL}})
    assert created.status_code < 300, created.text
    job = created.json()
    for _ in range(20):  # the virtual clock, 30 s a step, as the golden session moves it
        job = sp.get(f"/jobs/{job['id']}").json()
        if job["status"] in ("completed", "failed"):
            break
        moved = httpx.post(f"{root}/__mock/clock/advance", json={"seconds": 30},
                           headers=admin, timeout=60)
        assert moved.status_code == 200, moved.text
    assert job["status"] == "completed", job
    out = httpx.get(job["output"]["images"][0]["url"], timeout=60)
    assert out.status_code == 200, out.text[:300]
    return hashlib.sha256(out.content).hexdigest()


def _stagerai(root: str) -> str:
    sa = httpx.Client(base_url=root, timeout=120,
                      headers={"stager-api-key": "stager_test_container"})
    photo = Image.open(PHOTOS / "exterior.jpg")
    webp = io.BytesIO()
    photo.save(webp, "WEBP", quality=80)
    up = sa.post("/api/image", files={"file": ("exterior.webp", webp.getvalue(), "image/webp")})
    assert up.status_code == 200, up.text
    edit = sa.post(f"/api/images/{up.json()['data']['id']}/sky-replace",
                   json={"skyType": "twilight"})
    assert edit.status_code == 200, edit.text
    out = httpx.get(edit.json()["data"][0]["imageUrl"], timeout=60)
    assert out.status_code == 200, out.text[:300]
    rendered = Image.open(io.BytesIO(out.content))
    rendered.load()
    long_edge = 1920
    expected = (long_edge, photo.height * long_edge // photo.width)
    assert (rendered.format, rendered.size) == ("PNG", expected), (rendered.format, rendered.size)
    return hashlib.sha256(out.content).hexdigest()


def render_both(root: str, token: str) -> dict[str, str]:
    """Each API's output hash, from a server started with ``--deterministic --seed 42``."""
    admin = {"Authorization": f"Bearer {token}"}
    return {"stagepro": _stagepro(root, admin), "stagerai": _stagerai(root)}


if __name__ == "__main__":
    got = render_both(sys.argv[1], sys.argv[2])
    got["stagepro_pinned"] = pinned_tool_hash()
    print(json.dumps(got, indent=1))
    sys.exit(0 if got["stagepro"] == got["stagepro_pinned"] else 1)
