"""Stager AI's synchronous edits (stage, lawn-replace, sky-replace): the output size follows
``resolution``, the look the request's options."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ...jsontypes import JsonObject
from .furniture import STYLE_PALETTES, _furniture
from .primitives import (
    Floats,
    _band_above,
    _blend,
    _digest,
    _encode,
    _grid,
    _lum,
    _rng,
    _sky,
    _smooth_region,
    _window_glow,
)
from .tools import TOOLS

STAGER_LONG_EDGE = {"low": 768, "high": 1920, "superHigh": 3072}

COLOR_TYPES = {
    "classicWhite": (240, 240, 236),
    "charcoalGray": (60, 62, 66),
    "matteBlack": (25, 25, 28),
    "beige": (220, 200, 170),
    "espressoBrown": (75, 50, 35),
    "walnut": (110, 75, 50),
    "naturalWood": (190, 150, 105),
    "navyBlue": (30, 45, 90),
    "forestGreen": (35, 80, 50),
    "rusticOak": (150, 110, 70),
    "ivory": (245, 240, 225),
    "steelBlue": (70, 110, 150),
    "ashGray": (170, 170, 165),
    "mahogany": (105, 40, 30),
}
STAGER_STYLE = {
    "modern": "modern",
    "minimalist": "minimalist",
    "scandinavian": "scandinavian",
    "industrial": "industrial",
    "rustic": "rustic",
    "farmhouse": "farmhouse",
    "kidsRoom": "bohemian",
    "coastalModern": "coastal",
    "luxury": "luxury",
    "midCentury": "mid-century",
    "bohoChic": "bohemian",
    "japandi": "japandi",
}


def render_stager(
    source: Image.Image,
    *,
    operation: str,
    resolution: str = "high",
    options: JsonObject,
    variation: int = 0,
) -> tuple[bytes, int, int]:
    """The output of one Stager AI edit: (PNG bytes, width, height); the long edge follows
    ``resolution`` (low 768, high 1920, superHigh 3072), the aspect ratio the input's. PNG as
    the reference's edit examples show (``staged_output.png``), at zlib level 1: a 3072 px
    result encodes in a third of a second, about 3 MB."""
    long_edge = STAGER_LONG_EDGE[resolution]
    w, h = source.size
    scale = long_edge / max(w, h)
    img = source.convert("RGB").resize(
        (max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BILINEAR
    )
    rng = _rng("stager", operation, resolution, sorted(options.items()), variation)
    if operation == "stage":
        if options.get("removeFurniture"):
            img = _smooth_region(img, (0.08, 0.45, 0.92, 0.97), 12)
        arr: Floats = np.asarray(img, np.float32) / 255
        hh, ww = arr.shape[:2]
        y, x = _grid(hh, ww)
        colors = [COLOR_TYPES[c] for c in options.get("colorTypes") or [] if c in COLOR_TYPES]
        palette = (
            colors or STYLE_PALETTES[STAGER_STYLE.get(options.get("roomStyle", "modern"), "modern")]
        )
        subtle = options.get("actionType") == "subtleStaging"
        pieces = 2 + (_digest(options.get("roomType")) % 2) if subtle else 5
        arr = _furniture(
            arr, palette, rng, options.get("roomType"), pieces, 0.55 if subtle else 0.9
        )
    elif operation == "lawn-replace":
        s = {"light": 0.35, "medium": 0.6, "strong": 0.9}.get(
            options.get("lawnType") or "medium", 0.6
        )
        arr = TOOLS["lawn-replacement"].apply(img, s, rng)
    elif operation == "sky-replace":
        s = {"subtle": 0.35, "middle": 0.6, "dramatic": 0.9}.get(
            options.get("skySubType") or "middle", 0.6
        )
        twilight = options.get("skyType") == "twilight"
        arr = np.asarray(img, np.float32) / 255
        hh, ww = arr.shape[:2]
        y, _ = _grid(hh, ww)
        m = _band_above(y, ww, 0.42, 0.12)[..., None]
        if twilight:
            lum = _lum(arr)
            arr = arr * (1 - 0.4 * s)
            arr = _blend(arr, _window_glow(arr, lum, y), (1.0, 0.78, 0.4), 0.6 * s)
        arr = arr * (1 - s * m) + _sky(y, twilight) * (s * m)
    else:
        raise ValueError(f"unknown operation {operation!r}")
    arr = np.clip(arr, 0, 1)
    hh, ww = arr.shape[:2]
    return _encode(arr, "PNG", png_level=1), ww, hh
