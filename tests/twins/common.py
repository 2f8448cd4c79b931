"""What both twins share and neither reference speaks about: ids, the clock, request bodies,
and the small JPEG files a twin serves as its own results (so an output URL a twin hands out
can really be fetched, from the same loopback server)."""

from __future__ import annotations

import hashlib
import io
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

Clock = Callable[[], float]


def new_id() -> str:
    """A bare UUID (neither reference shows a prefix on its ids, so the twins use none)."""
    return str(uuid.uuid4())


class BadBody(Exception):
    """A request body the twin refuses; the app turns it into its own error answer."""


async def json_object(request: Request, required: bool = True) -> dict:
    """The request's JSON object body (an empty body counts as ``{}`` unless ``required``)."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise BadBody("a JSON body is required")
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise BadBody("the body is not valid JSON") from exc
    if not isinstance(value, dict):
        raise BadBody("the body must be a JSON object")
    return value


@asynccontextmanager
async def form_of(request: Request) -> AsyncIterator[FormData]:
    """The request's multipart form; a body that cannot be parsed is the twin's own error
    answer (JSON, as both references show errors), not Starlette's plain-text 400."""
    try:
        form = await request.form()
    except HTTPException as exc:
        raise BadBody(f"the multipart body cannot be read: {exc.detail}") from exc
    try:
        yield form
    finally:
        await form.close()


def image_size(data: bytes) -> tuple[int, int] | None:
    """The (width, height) Pillow reads from ``data``, or None if it is not an image."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def render_jpeg(seed: str, size: tuple[int, int] = (64, 48), source: bytes | None = None) -> bytes:
    """A JPEG of ``size``: ``source`` resized and tinted by ``seed`` when it is an image, a
    flat colour drawn from ``seed`` otherwise. Cheap and deterministic for a given input."""
    tint = hashlib.sha256(seed.encode()).digest()[:3]
    base = None
    if source is not None:
        try:
            base = Image.open(io.BytesIO(source)).convert("RGB").resize(size)
        except (UnidentifiedImageError, OSError, ValueError):
            base = None
    overlay = Image.new("RGB", size, tuple(tint))
    img = Image.blend(base, overlay, 0.3) if base is not None else overlay
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def blend_jpegs(sources: list[bytes], seed: str) -> bytes | None:
    """The average of the images in ``sources`` (sized to the first), as a JPEG; None when
    any of them is not an image. The Stager AI twin's stand-in for an HDR merge."""
    images = []
    for data in sources:
        try:
            images.append(Image.open(io.BytesIO(data)).convert("RGB"))
        except (UnidentifiedImageError, OSError, ValueError):
            return None
    if not images:
        return None
    size = images[0].size
    merged = images[0]
    for n, img in enumerate(images[1:], start=2):
        merged = Image.blend(merged, img.resize(size), 1.0 / n)
    out = io.BytesIO()
    merged.save(out, "JPEG", quality=85)
    return render_jpeg(seed, size, out.getvalue())


@dataclass
class Files:
    """Result files a twin serves under ``/files/{name}``: ``makers`` build one on first
    fetch (a job's output exists only once the job has finished)."""

    makers: dict[str, Callable[[], bytes | None]] = field(default_factory=dict)
    cache: dict[str, bytes] = field(default_factory=dict)

    def add(self, name: str, maker: Callable[[], bytes | None]) -> None:
        self.makers[name] = maker

    def url(self, request: Request, name: str) -> str:
        return f"{str(request.base_url).rstrip('/')}/files/{name}"

    async def serve(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.cache:
            maker = self.makers.get(name)
            data = maker() if maker is not None else None
            if data is None:
                return PlainTextResponse("no such file", 404)
            self.cache[name] = data
        return Response(self.cache[name], media_type="image/jpeg")


def wall_clock() -> float:
    """The default clock of both twins (seconds, as ``time.time``)."""
    return time.time()
