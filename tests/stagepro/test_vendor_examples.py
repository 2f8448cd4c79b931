"""Every curl example of the vendor reference about jobs, batches, workflows, uploads, usage,
capabilities and listing, run against the mock (base URL and key replaced): each job reaches
completed with a downloadable image."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import httpx

from tests.vendor import reference

PHOTO = Path(__file__).resolve().parents[2] / "fixtures" / "photos" / "interior.jpg"


def _curls() -> list[list[str]]:
    text = reference("stagepro")
    blocks = re.findall(r"(curl .*?)(?:\n\n|\Z)", text, flags=re.S)
    return [shlex.split(b.replace("\\\n", " ")) for b in blocks]


def _replay(argv, root, key, last_job):
    method, url, headers, body, files = "GET", None, {}, None, None
    it = iter(argv[1:])
    for arg in it:
        if arg == "-X":
            method = next(it)
        elif arg == "-H":
            name, _, value = next(it).partition(":")
            headers[name.strip()] = value.strip()
        elif arg == "-d":
            body = next(it)
            method = "POST" if method == "GET" else method
        elif arg == "-F":
            field, _, _ = next(it).partition("=@")
            files = {field: ("room.jpg", PHOTO.read_bytes(), "image/jpeg")}
            method = "POST" if method == "GET" else method
        else:
            url = arg
    url = url.replace("https://www.stageproai.com", root).replace("JOB_ID", last_job or "JOB_ID")
    headers["Authorization"] = f"Bearer {key}"
    return httpx.request(method, url, headers=headers, content=body, files=files, timeout=30)


def test_every_vendor_curl_example_works(stagemock_server, http):
    key = "sk_test_vendor_curls"
    stagemock_server.reset(key)
    curls = [c for c in _curls() if "/agent/" not in " ".join(c) and "/webhooks" not in " ".join(c) and "/keys" not in " ".join(c)]
    assert len(curls) >= 8
    jobs = []
    for argv in curls:
        r = _replay(argv, stagemock_server.url, key, jobs[-1] if jobs else None)
        assert r.status_code in (200, 201, 202), f"{' '.join(argv)[:120]} → {r.status_code} {r.text[:300]}"
        body = r.json()
        if body.get("object") == "job" and body["id"] not in jobs:
            jobs.append(body["id"])
        jobs += body.get("job_ids", []) if body.get("object") in ("batch", "workflow") else []
    assert len(jobs) >= 5
    stagemock_server.advance(120)
    client = httpx.Client(base_url=stagemock_server.url + "/api/v1", headers={"Authorization": f"Bearer {key}"})
    for job_id in jobs:
        job = client.get(f"/jobs/{job_id}").json()
        assert job["status"] == "completed", json.dumps(job)[:300]
        assert httpx.get(job["output"]["images"][0]["url"]).status_code == 200
