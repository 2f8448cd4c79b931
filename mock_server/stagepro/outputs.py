"""StagePro job outputs: the render of a job as a picklable function of its input (started
in a worker when the job starts processing), collected and stored when it completes. The job
engine's ``outputs`` (``jobs.JobEngine``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..core.blobs import BlobStore
from ..core.precompute import Pending, Precomputer
from .models import FILES_PREFIX, Account, Job

if TYPE_CHECKING:  # the image code (NumPy, Pillow) loads with the first render
    from ..images.work import StageProParams

#: A job's output render: the JPEG's bytes, width and height.
Render = tuple[bytes, int, int]


@dataclass
class Outputs:
    blobs: BlobStore
    #: ``--fetch-remote``: ``fn(url) -> bytes | None`` (None: remote URLs become synthetic).
    fetch: Callable[[str], bytes | None] | None
    #: Where renders run ahead of completion (without workers: inline, at completion).
    precompute: Precomputer

    def work(self, account: Account, job: Job) -> Callable[[], Render]:
        """The job's output render as a picklable function of values looked up now: the
        input's bytes if the mock holds them (an upload, a served file), else its URL."""
        from ..images.work import stagepro_output

        url = job.input.get("empty_room_url") or job.input.get("image_url")
        data: bytes | None = None
        if job.input.get("upload_id") and not job.input.get("empty_room_url"):
            upload = account.uploads.get(job.input["upload_id"])
            blob = self.blobs.get(upload.blob_key) if upload else None
            if blob is not None:
                data = blob.data
            else:
                url = f"upload:{job.input['upload_id']}"
        if data is None and url and FILES_PREFIX in url:
            blob = self.blobs.get(urlsplit(url).path.split(FILES_PREFIX, 1)[1])
            if blob is not None:
                data = blob.data
        options = job.input.get("options") or {}
        params: StageProParams = {
            "job_type": job.type,
            "listing_tool": job.input.get("listing_tool"),
            "style": job.input.get("style"),
            "room_type": job.input.get("room_type"),
            "creativity": int(options.get("creativity", 3)),
            "aspect_ratio": options.get("aspect_ratio"),
            "variation": job.variation,
            "prompt": job.input.get("prompt"),
        }
        return partial(stagepro_output, data, url, self.fetch, url or job.id, params)

    def start(self, account: Account, job: Job) -> Pending[Render]:
        """The render, started in a worker when the job starts processing."""
        return self.precompute.start(self.work(account, job))

    def store(self, account: Account, job: Job) -> None:
        """The finished render (or, without one started, rendered now) stored as the job's
        output, counted in the account's storage."""
        pending = job.rendering or Pending(self.work(account, job), None, self.precompute)
        job.rendering = None
        data, width, height = pending.result()
        key = f"stagepro/{job.id}/0.jpg"
        self.blobs.put(key, data, "image/jpeg", owner=account.key)
        account.output_bytes += len(data)
        account.outputs += 1
        job.output = [{"url": f"{job.base_url}{FILES_PREFIX}{key}", "width": width,
                       "height": height, "content_type": "image/jpeg"}]
