"""The golden session: one scripted ``--deterministic`` run (seed 42) against an in-process
mock, covering every StagePro job type, every listing tool (read from the spec), uploads, a
batch, a regenerated variation, every Stager AI edit option and a 7-bracket HDR merge with
all three corrections. It prints the SHA-256 of every response body and every output image.

``tests/test_golden.py`` runs it twice in subprocesses (NumPy's SIMD kernels on, then off)
and compares both with ``hashes.json``. After a change that legitimately alters bytes,
re-pin with::

    .venv/bin/python -m tests.golden.session --update

Each hash is labelled by what it is (the operation, the job type or tool slug, the option,
the settle phase and step), never by a position or a count of what came before, so adding a
listing tool adds its own labels and renames none. A tool's source photo follows the tool's
registered category (``images/render/tools.py``), and each tool runs in an account of its own
(job ids are per-account counters), so a new tool adds its own hashes and changes no other.

Bodies are hashed with the server's address (a free port, different every run) replaced by
a fixed one, and the GCS V4 signature of upload URLs masked (it signs a fixed host, never
that address, so masking only keeps a change of the signing secret from re-pinning bodies).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
HASHES = Path(__file__).resolve().parent / "hashes.json"
SEED = 42
PHOTOS = ROOT / "fixtures" / "photos"
BRACKETS = ROOT / "fixtures" / "brackets"
#: The sample photo a listing tool is shown, by the tool's registered category
#: (``images/render/tools.py``): a new tool needs no entry here.
PHOTO_OF_CATEGORY = {"interior": "interior", "exterior": "exterior", "pool": "pool",
                     "twilight": "exterior", "other": "interior"}


@cache
def _spec(name: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((ROOT / "openapi" / name).read_text(), Loader=loader)


def _enum(spec: str, name: str) -> list[str]:
    """An enum of the spec's components (the catalogue the session must cover)."""
    return list(_spec(spec)["components"]["schemas"][name]["enum"])


def derived_brackets() -> list[tuple[str, bytes]]:
    """Seven brackets: the three fixtures plus four exposure shifts of the middle one, made
    with integer Pillow point tables and JPEG encoding (the same bytes everywhere)."""
    out = [(p.name, p.read_bytes()) for p in sorted(BRACKETS.glob("*.jpg"))]
    base = Image.open(BRACKETS / "living_room_ev0.jpg").convert("RGB")
    for num, den in ((1, 4), (1, 2), (3, 2), (5, 2)):
        img = base.point(lambda v, n=num, d=den: min(255, v * n // d))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=90)
        out.append((f"living_room_x{num}_{den}.jpg", buf.getvalue()))
    return out


class Recorder:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.hashes: dict[str, str] = {}
        self.files = httpx.Client(timeout=60)

    def advance(self, seconds: int) -> httpx.Response:
        return self.files.post(f"{self.base_url}/__mock/clock/advance", json={"seconds": seconds})

    def _normalise(self, body: bytes) -> bytes:
        body = body.replace(self.base_url.encode(), b"http://stagemock.golden")
        return re.sub(rb"X-Goog-Signature=[0-9a-f]+", b"X-Goog-Signature=masked", body)

    def body(self, label: str, r: httpx.Response) -> Any:
        assert r.status_code < 400, f"{label}: {r.status_code} {r.text[:300]}"
        assert label not in self.hashes, label
        self.hashes[label] = hashlib.sha256(self._normalise(r.content)).hexdigest()
        return r.json() if r.content else None

    def image(self, label: str, url: str) -> None:
        r = self.files.get(url)
        assert r.status_code == 200, f"{label}: {r.status_code}"
        assert label not in self.hashes, label
        self.hashes[label] = hashlib.sha256(r.content).hexdigest()


def _stagepro(server: Any, rec: Recorder) -> None:
    sp = httpx.Client(base_url=server.url + "/api/v1", timeout=60,
                      headers={"Authorization": "Bearer sk_test_golden"})
    uploads = {}
    for name in ("interior", "exterior", "pool"):
        data = (PHOTOS / f"{name}.jpg").read_bytes()
        up = rec.body(f"sp.upload.{name}", sp.post(
            "/uploads", files={"file": (f"{name}.jpg", data, "image/jpeg")}))
        uploads[name] = up["id"]
    png = io.BytesIO()
    Image.open(PHOTOS / "interior.jpg").resize((640, 480)).save(png, "PNG")
    uploads["png"] = rec.body("sp.upload.png", sp.post(
        "/uploads", files={"file": ("room.png", png.getvalue(), "image/png")}))["id"]

    jobs: dict[str, str] = {}

    def job(label: str, body: dict[str, Any]) -> None:
        jobs[label] = rec.body(f"sp.create.{label}", sp.post("/jobs", json=body))["id"]

    styles = _enum("stagepro.yaml", "Style")
    rooms = _enum("stagepro.yaml", "RoomType")
    for jt in _enum("stagepro.yaml", "JobType"):
        if jt == "listing-tool":
            continue
        extra: dict[str, Any] = {"prompt": "brighter, warmer light"} if jt == "edit" else {}
        job(f"{jt}.upload", {"type": jt, "input": {"upload_id": uploads["interior"], **extra}})
        job(f"{jt}.url", {"type": jt, "input": {
            "image_url": f"https://example.com/golden/{jt}-kitchen.jpg", **extra}})
    for i, style in enumerate(styles):
        job(f"virtual-stage.{style}", {"type": "virtual-stage", "input": {
            "upload_id": uploads["interior"], "style": style, "room_type": rooms[i % len(rooms)]}})
    job("interior-design.options", {"type": "interior-design", "input": {
        "upload_id": uploads["png"], "style": "japandi", "room_type": "bedroom",
        "options": {"creativity": 5, "aspect_ratio": "16:9"}}})
    job("empty-room.options", {"type": "empty-room", "input": {
        "upload_id": uploads["interior"], "options": {"creativity": 1, "aspect_ratio": "9:16"}}})
    from mock_server.images.render.tools import tool as registered

    # Each listing tool runs in an account of its own (its key names the tool): its upload and
    # job are that account's first, so their ids never depend on which tools come before it.
    tool_jobs: dict[str, tuple[httpx.Client, str]] = {}
    for tool in _enum("stagepro.yaml", "ListingTool"):
        src = PHOTO_OF_CATEGORY[registered(tool).category]
        own = httpx.Client(base_url=server.url + "/api/v1", timeout=60,
                           headers={"Authorization": f"Bearer sk_test_golden_{tool}"})
        data = (PHOTOS / f"{src}.jpg").read_bytes()
        upload = own.post("/uploads", files={"file": (f"{src}.jpg", data, "image/jpeg")})
        created = rec.body(f"sp.create.tool.{tool}", own.post("/jobs", json={
            "type": "listing-tool", "input": {"upload_id": upload.json()["id"],
                                              "listing_tool": tool}}))
        tool_jobs[f"tool.{tool}"] = (own, created["id"])
    for src, tool in (("backyard-pool", "add-water-to-empty-pool"),
                      ("front-exterior", "virtual-twilight"), ("living", "fireplace-ignition")):
        job(f"tool.{tool}.url", {"type": "listing-tool", "input": {
            "image_url": f"https://example.com/golden/{src}.jpg", "listing_tool": tool,
            "options": {"creativity": 4}}})
    batch = rec.body("sp.batch.create", sp.post("/batches", json={
        "type": "listing-tool", "input": {"listing_tool": "room-declutter"},
        "listing_id": "MLS-GOLDEN",
        "photos": [{"upload_id": uploads["interior"]},
                   {"image_url": "https://example.com/golden/batch-2.jpg",
                    "listing_tool": "sky-enhancement"}]}))

    def settle(phase: str) -> None:
        """Advance the clock 30 s at a time until every job has ended (labels: the phase and
        the step within it, never a count of what came before)."""
        for step in range(1, 101):
            listed = sp.get("/jobs", params={"limit": 100}).json()
            assert not listed.get("has_more"), "more jobs than one page"
            if all(j["status"] in ("completed", "failed") for j in listed["data"]):
                return
            rec.body(f"sp.settle.{phase}.advance.{step}", rec.advance(30))
        raise AssertionError("jobs did not settle")

    settle("created")
    regen = rec.body("sp.regenerate", sp.post(f"/jobs/{jobs['virtual-stage.upload']}/regenerate",
                                              json={}))
    jobs["virtual-stage.upload.regenerated"] = regen["id"]
    settle("regenerated")
    fetched = [(label, sp, jid) for label, jid in jobs.items()]
    fetched += [(label, own, jid) for label, (own, jid) in tool_jobs.items()]
    for label, client, jid in fetched:
        body = rec.body(f"sp.job.{label}", client.get(f"/jobs/{jid}"))
        assert body["status"] == "completed", (label, body)
        for n, img in enumerate(body["output"]["images"]):
            rec.image(f"sp.image.{label}.{n}", img["url"])
    done = rec.body("sp.batch.get", sp.get(f"/batches/{batch['id']}"))
    for n, jid in enumerate(batch["job_ids"]):
        body = rec.body(f"sp.batch.job.{n}", sp.get(f"/jobs/{jid}"))
        for k, img in enumerate(body["output"]["images"]):
            rec.image(f"sp.batch.image.{n}.{k}", img["url"])
    assert done, "batch"
    rec.body("sp.usage", sp.get("/usage"))
    rec.body("sp.jobs.list", sp.get("/jobs", params={"limit": 100}))


def _stagerai(server: Any, rec: Recorder) -> None:
    sa = httpx.Client(base_url=server.url, timeout=120,
                      headers={"stager-api-key": "stager_test_golden"})
    images = {}
    for name in ("interior", "exterior"):
        data = (PHOTOS / f"{name}.jpg").read_bytes()
        images[name] = rec.body(f"sa.upload.{name}", sa.post(
            "/api/image", files={"file": (f"{name}.jpg", data, "image/jpeg")}))["data"]["id"]

    def edit(label: str, image: str, op: str, body: dict[str, Any]) -> None:
        out = rec.body(f"sa.{label}", sa.post(f"/api/images/{images[image]}/{op}", json=body))
        for n, item in enumerate(out["data"]):
            rec.image(f"sa.image.{label}.{n}", item["imageUrl"])

    rooms = _enum("stagerai.yaml", "RoomType")
    styles = _enum("stagerai.yaml", "RoomStyle")
    colors = _enum("stagerai.yaml", "ColorType")
    for i, room in enumerate(rooms):
        edit(f"stage.room.{room}", "interior", "stage", {
            "roomType": room, "roomStyle": styles[i % len(styles)], "resolution": "low"})
    for i, style in enumerate(styles):
        edit(f"stage.style.{style}", "interior", "stage", {
            "roomType": "LIVING_ROOM", "roomStyle": style, "resolution": "low",
            "actionType": _enum("stagerai.yaml", "ActionType")[i % 2],
            "colorTypes": [colors[i], colors[(i + 5) % len(colors)]],
            "removeFurniture": i % 3 == 0})
    edit("stage.all-colors", "interior", "stage", {
        "roomType": "BEDROOM", "roomStyle": "japandi", "colorTypes": colors,
        "resolution": "low", "extraInstructions": "a linen sofa"})
    for res in _enum("stagerai.yaml", "Resolution"):
        edit(f"stage.resolution.{res}", "interior", "stage", {
            "roomType": "DINING_ROOM", "roomStyle": "modern", "resolution": res})
    for lawn in _enum("stagerai.yaml", "LawnType"):
        edit(f"lawn.{lawn}", "exterior", "lawn-replace", {"lawnType": lawn, "resolution": "low"})
    edit("lawn.default", "exterior", "lawn-replace", {"lawnType": "medium"})
    for sky in _enum("stagerai.yaml", "SkyType"):
        for sub in _enum("stagerai.yaml", "SkySubType"):
            edit(f"sky.{sky}.{sub}", "exterior", "sky-replace", {
                "skyType": sky, "skySubType": sub, "resolution": "low"})
    edit("sky.default", "exterior", "sky-replace", {"skyType": "twilight"})

    project = rec.body("sa.hdr.project", sa.post("/api/projects", json={"title": "Golden"}))
    group = rec.body("sa.hdr.group", sa.post("/api/hdr-image-group", json={
        "projectId": project["id"], "lensCorrection": True, "perspectiveCorrection": True,
        "photographerRemoval": True}))
    ids = {"projectId": project["id"], "groupId": group["groupId"]}
    for name, data in derived_brackets():
        up = rec.body(f"sa.hdr.url.{name}", sa.post("/api/hdr-upload-url",
                                                     json={**ids, "filename": name}))
        put = rec.files.put(up["uploadUrl"], content=data, headers={"content-type": "image/jpeg"})
        assert put.status_code == 200, put.text
    rec.body("sa.hdr.enhance", sa.post("/api/hdr-enhance", json=ids))
    rec.body("sa.hdr.advance", rec.advance(60))
    done = rec.body("sa.hdr.done", sa.get(f"/api/hdr-image-group/{group['groupId']}"))
    assert done["status"] == "completed", done
    rec.image("sa.hdr.image", done["imageUrl"])


def cpu_report() -> dict[str, Any]:
    """Which of NumPy's dispatch targets this process may use."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return {"dispatch": list(__cpu_dispatch__),
            "enabled": [t for t in __cpu_dispatch__ if __cpu_features__.get(t)]}


def run() -> dict[str, str]:
    from mock_server.settings import Settings
    from mock_server.testing import RunningServer

    with RunningServer(Settings(deterministic=True, seed=SEED, image_workers=0)) as server:
        rec = Recorder(server.url)
        _stagepro(server, rec)
        _stagerai(server, rec)
    return rec.hashes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--update", action="store_true", help=f"write the hashes to {HASHES.name}")
    args = ap.parse_args(argv)
    hashes = run()
    if args.update:
        HASHES.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
        print(f"pinned {len(hashes)} hashes in {HASHES}", file=sys.stderr)
    else:
        json.dump({"cpu": cpu_report(), "hashes": hashes}, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
