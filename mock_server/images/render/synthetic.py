"""Deterministic synthetic listing photos: the input of a job whose ``image_url`` the mock
never fetches (interior, exterior or pool, guessed from the URL's words)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .primitives import NOISE, Floats, _fill, _grid, _rng, _span


def guess_kind(seed: str) -> str:
    s = seed.lower()
    if "pool" in s:
        return "pool"
    for word in (
        "exterior",
        "front",
        "yard",
        "garden",
        "lawn",
        "sky",
        "twilight",
        "house",
        "facade",
        "driveway",
        "outdoor",
        "backyard",
        "street",
    ):
        if word in s:
            return "exterior"
    return "interior"


def synthetic_photo(
    seed: str, kind: str = "interior", size: tuple[int, int] = (1024, 768)
) -> Image.Image:
    """A plausible, deterministic listing photo derived from ``seed`` (e.g. a URL)."""
    if kind == "auto":
        kind = guess_kind(seed)
    w, h = size
    rng = _rng("photo", seed, kind, w, h)
    y, x = _grid(h, w)
    img: Floats = np.zeros((h, w, 3), np.float32)
    c = rng.uniform(0.0, 1.0, 8).astype(np.float32)
    if kind == "interior":
        wall = np.array([0.75 + 0.2 * c[0], 0.72 + 0.2 * c[1], 0.66 + 0.2 * c[2]], np.float32)
        floor = np.array([0.45 + 0.2 * c[3], 0.32 + 0.15 * c[3], 0.2 + 0.1 * c[4]], np.float32)
        horizon = 0.58 + 0.08 * c[5]
        img[:] = wall
        img *= (0.85 + 0.15 * (1 - y))[..., None]
        rows = _span(y, horizon, 2.0)
        shade = (0.75 + 0.35 * (y - horizon)).astype(np.float32)
        img[rows] = floor * shade[rows][..., None]
        wx0 = 0.15 + 0.45 * c[6]
        # the frame first, the glass inside it after: the frame is what the glass leaves
        _fill(img, y, x, 0.11, horizon - 0.11, wx0 - 0.01, wx0 + 0.23, np.float32(0.95))
        _fill(img, y, x, 0.12, horizon - 0.12, wx0, wx0 + 0.22,
              np.array([0.92, 0.96, 1.0], np.float32))
        _fill(img, y, x, horizon - 0.015, horizon, 0.0, 1.0, np.float32(0.92))
    else:
        sky_top = np.array([0.45 + 0.2 * c[0], 0.6 + 0.15 * c[0], 0.78 + 0.1 * c[1]], np.float32)
        sky_bottom = np.array([0.78, 0.82, 0.86], np.float32)
        t = np.clip(y / 0.45, 0, 1)[..., None]
        img = np.broadcast_to(sky_top * (1 - t) + sky_bottom * t, (h, w, 3)).copy()
        lawn_y = 0.72 + 0.06 * c[2]
        lawn = np.array([0.3 + 0.15 * c[3], 0.45 + 0.15 * c[3], 0.2], np.float32)
        rows = _span(y, lawn_y, 2.0)
        img[rows] = lawn * (0.8 + 0.3 * y[rows])[..., None]
        hx0, hx1 = 0.2 + 0.1 * c[4], 0.75 + 0.1 * c[5]
        wall_c = np.array([0.8 * (0.7 + 0.3 * c[6]), 0.75, 0.68], np.float32)
        _fill(img, y, x, 0.42, lawn_y, hx0, hx1, wall_c)
        mid = (hx0 + hx1) / 2
        rows = _span(y, 0.24, 0.42)
        roof = np.abs(x - mid) < (y[rows] - 0.24) / 0.18 * (hx1 - hx0) / 2 + 0.02
        img[rows][roof] = np.array([0.35, 0.25, 0.22], np.float32)
        for i in range(3):
            wx = hx0 + (hx1 - hx0) * (0.12 + 0.3 * i)
            _fill(img, y, x, 0.5, 0.6, wx, wx + (hx1 - hx0) * 0.14,
                  np.array([0.55, 0.62, 0.7], np.float32))
        _fill(img, y, x, 0.56, lawn_y, mid - 0.03, mid + 0.03,
              np.array([0.4, 0.25, 0.15], np.float32))
        if kind == "pool":
            rows = _span(y, 0.81, 0.95 + 1e-6)
            pool = ((y[rows] - 0.88) / 0.07) ** 2 + ((x - 0.5) / 0.3) ** 2 < 1
            water = np.array([0.3, 0.7, 0.85], np.float32) * (0.9 + 0.2 * x)[..., None]
            block = img[rows]
            block[pool] = np.broadcast_to(water, block.shape)[pool]
    noise = NOISE[rng.integers(0, 256, (h, w, 1), dtype=np.uint8)]
    img = np.clip(img + noise, 0, 1)
    return Image.fromarray((img * 255).astype(np.uint8), "RGB")
