"""StagePro job outputs: every job type, each listing tool through its registered render
(``tools.TOOLS``), cropped to the requested aspect ratio."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .furniture import STYLE_PALETTES, _empty_room, _furniture
from .primitives import _blend, _digest, _encode, _grid, _rng
from .tools import TOOLS

RATIOS = {
    "1:1": 1.0,
    "4:3": 4 / 3,
    "3:2": 1.5,
    "16:9": 16 / 9,
    "9:16": 9 / 16,
    "2:3": 2 / 3,
    "3:4": 3 / 4,
}


def _crop_ratio(img: Image.Image, ratio: str | None) -> Image.Image:
    if not ratio or ratio == "original" or ratio not in RATIOS:
        return img
    target = RATIOS[ratio]
    w, h = img.size
    if w / h > target:
        nw = max(1, round(h * target))
        left = (w - nw) // 2
        return img.crop((left, 0, left + nw, h))
    nh = max(1, round(w / target))
    top = (h - nh) // 2
    return img.crop((0, top, w, top + nh))


def _draws_furniture(listing_tool: str | None) -> bool:
    """A tool whose render is the furniture pass itself (``add-furniture``)."""
    tool = TOOLS.get(listing_tool or "")
    return tool is not None and tool.furniture


def render_stagepro(
    source: Image.Image,
    *,
    job_type: str,
    listing_tool: str | None = None,
    style: str | None = None,
    room_type: str | None = None,
    creativity: int = 3,
    aspect_ratio: str | None = None,
    variation: int = 0,
    prompt: str | None = None,
    out_format: str = "JPEG",
) -> tuple[bytes, int, int]:
    """The output of one StagePro job: (bytes, width, height)."""
    img = _crop_ratio(source.convert("RGB"), aspect_ratio)
    s = 0.35 + 0.13 * (max(1, min(5, creativity)) - 1)
    rng = _rng("stagepro", job_type, listing_tool, style, room_type, creativity, variation, prompt)
    palette = STYLE_PALETTES.get(style or "modern", STYLE_PALETTES["modern"])
    if job_type == "empty-room":
        arr = _empty_room(np.asarray(img), s)
    elif job_type in ("virtual-stage", "interior-design") or _draws_furniture(listing_tool):
        arr = np.asarray(img, np.float32) / 255
        h, w = arr.shape[:2]
        y, x = _grid(h, w)
        if job_type == "interior-design":
            wall = np.asarray(palette[1], np.float32) / 255
            arr = _blend(arr, np.broadcast_to(y < 0.55, (h, w)), wall, 0.45 * s)
        if job_type == "virtual-stage":
            pieces = 6
        elif job_type == "interior-design":
            pieces = 4
        else:  # listing tool add-furniture: a couple of extra pieces only
            pieces = 3
        arr = _furniture(arr, palette, rng, room_type, pieces, 0.55 + 0.4 * s)
    elif job_type == "edit":
        arr = np.asarray(img, np.float32) / 255
        tint = (
            np.array([_digest(prompt, i) % 100 for i in range(3)], np.float32) / 100 - 0.5
        ) * 0.2
        arr = np.clip((arr - 0.5) * (1 + 0.2 * s) + 0.5 + tint * s, 0, 1)
    else:
        arr = TOOLS[listing_tool or ""].apply(img, s, rng)
    if variation:
        jitter = (rng.uniform(-0.04, 0.04, 3) * min(variation, 5)).astype(np.float32)
        arr = arr + jitter
    arr = np.clip(arr, 0, 1)
    h, w = arr.shape[:2]
    return _encode(arr, out_format), w, h
