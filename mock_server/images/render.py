"""Output images: deterministic synthetic photos for remote URLs, and the visible effect of
every StagePro job type / listing tool and every Stager AI edit. Vectorised NumPy; the same
arguments always give the same bytes, on any CPU: no pixel goes through a float reduction
(``sum``/``mean`` over an axis, whose summation order follows NumPy's SIMD width) or a
transcendental of a pixel or coordinate array (``exp``, ``power``, ``sin``, whose last bits
differ between NumPy's AVX-512, AVX2, SSE and NEON kernels and between libms). Those come
from lookup tables computed once with Python's ``math`` and quantised to integers, combined
in integer arithmetic; what remains is element-wise float ``+ - * /`` (IEEE-exact) and
Pillow's integer 8-bit filters, resampling and JPEG encoding."""

from __future__ import annotations

import hashlib
import io
import math
from functools import lru_cache
from statistics import NormalDist
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

RATIOS = {
    "1:1": 1.0,
    "4:3": 4 / 3,
    "3:2": 1.5,
    "16:9": 16 / 9,
    "9:16": 9 / 16,
    "2:3": 2 / 3,
    "3:4": 3 / 4,
}
STAGER_LONG_EDGE = {"low": 768, "high": 1920, "superHigh": 3072}

STYLE_PALETTES = {
    "modern": [(70, 70, 75), (200, 200, 195), (180, 60, 50)],
    "scandinavian": [(235, 230, 220), (190, 160, 120), (140, 160, 150)],
    "industrial": [(60, 55, 50), (120, 80, 50), (150, 150, 150)],
    "minimalist": [(240, 240, 238), (200, 200, 200), (40, 40, 40)],
    "coastal": [(235, 240, 245), (90, 140, 180), (210, 190, 150)],
    "farmhouse": [(230, 220, 200), (140, 100, 70), (90, 110, 80)],
    "mid-century": [(200, 120, 50), (70, 100, 90), (120, 70, 40)],
    "luxury": [(30, 30, 40), (200, 170, 90), (120, 20, 40)],
    "bohemian": [(190, 90, 60), (220, 180, 90), (110, 60, 110)],
    "traditional": [(120, 40, 40), (160, 120, 80), (220, 210, 180)],
    "japandi": [(200, 185, 160), (90, 80, 70), (160, 150, 130)],
    "rustic": [(140, 90, 50), (100, 70, 45), (190, 170, 140)],
}
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


def _digest(*parts: Any) -> int:
    raw = "\x00".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big")


def _rng(*parts: Any) -> np.random.Generator:
    return np.random.default_rng(_digest(*parts))


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


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    return y, x


#: Fixed-point one of the geometry tables below.
GEO_ONE = 1 << 14


def _axis(n: int) -> np.ndarray:
    """The coordinates of ``_grid`` along one axis (float32 ``linspace`` values)."""
    return np.linspace(0.0, 1.0, n, dtype=np.float32)


def _quantise(values: Any, one: int = GEO_ONE) -> np.ndarray:
    """Python floats → int64 fixed point (``one`` is 1.0), rounded half to even."""
    return np.array([round(v * one) for v in values], np.int64)


@lru_cache(maxsize=64)
def _sin_cos(n: int, freq: float) -> tuple[np.ndarray, np.ndarray]:
    """sin and cos of ``freq · t`` along an axis of ``n`` grid coordinates ``t``, quantised."""
    t = _axis(n).tolist()
    return (_quantise(math.sin(freq * v) for v in t),
            _quantise(math.cos(freq * v) for v in t))


def _wave(h: int, w: int, fx: float, fy: float) -> np.ndarray:
    """sin(fx·x + fy·y) over an h×w frame (float32), exactly the same on every machine:
    sin(a + b) = sin a·cos b + cos a·sin b on quantised per-axis tables, in int64."""
    sx, cx = _sin_cos(w, fx)
    sy, cy = _sin_cos(h, fy)
    v = sy[:, None] * cx[None, :] + cy[:, None] * sx[None, :]
    return v.astype(np.float32) / np.float32(GEO_ONE * GEO_ONE)


@lru_cache(maxsize=64)
def _gauss(n: int, centre: float, width: float) -> np.ndarray:
    """exp(-((t - centre) / width)²) along an axis of ``n`` grid coordinates, quantised."""
    return _quantise(math.exp(-(((v - centre) / width) ** 2)) for v in _axis(n).tolist())


def _glow(h: int, w: int, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    """A Gaussian spot exp(-((x-cx)/rx)² - ((y-cy)/ry)²) over an h×w frame (float32): the
    product of two quantised per-axis tables, in int64."""
    v = _gauss(h, cy, ry)[:, None] * _gauss(w, cx, rx)[None, :]
    return v.astype(np.float32) / np.float32(GEO_ONE * GEO_ONE)


@lru_cache(maxsize=16)
def _gamma_table(gamma: float) -> np.ndarray:
    """(v/255) ** gamma for each 8-bit value v, quantised to 1/65535 (float32)."""
    q = _quantise(((v / 255) ** gamma for v in range(256)), 65535)
    return q.astype(np.float32) / np.float32(65535)


#: Sensor noise of the synthetic photos: 256 equally likely values, the quantiles of a
#: normal distribution (σ = 0.012 of full scale) quantised to 1/65536, indexed by random
#: bytes (integer random numbers: no libm on the way).
NOISE = (
    _quantise((NormalDist(0.0, 0.012).inv_cdf((i + 0.5) / 256) for i in range(256)), 1 << 16)
    .astype(np.float32) / np.float32(1 << 16)
)


def _lum(arr: np.ndarray) -> np.ndarray:
    """Mean of the three channels, added in a fixed order (not a reduction)."""
    return (arr[..., 0] + arr[..., 1] + arr[..., 2]) / np.float32(3)


def _mean_colour(px: np.ndarray) -> np.ndarray:
    """The mean colour (float32, 0–1) of 8-bit pixels, summed exactly in integers."""
    flat = px.reshape(-1, 3)
    return (flat.sum(axis=0, dtype=np.int64) / (255 * max(1, len(flat)))).astype(np.float32)


def _rect(y: np.ndarray, x: np.ndarray, y0: float, y1: float, x0: float, x1: float) -> np.ndarray:
    return ((y >= y0) & (y < y1)) & ((x >= x0) & (x < x1))


def _span(axis: np.ndarray, lo: float, hi: float) -> slice:
    """The index range where ``lo <= axis < hi`` on a sorted grid axis: exactly the pixels
    ``_rect`` selects, as a slice (assigning a slice is ~10x cheaper than a full-frame
    ``np.where``)."""
    flat = axis.ravel()
    return slice(int(np.searchsorted(flat, lo, "left")), int(np.searchsorted(flat, hi, "left")))


def _fill(
    img: np.ndarray, y: np.ndarray, x: np.ndarray,
    y0: float, y1: float, x0: float, x1: float, value: Any,
) -> None:
    img[_span(y, y0, y1), _span(x, x0, x1)] = value


def synthetic_photo(
    seed: str, kind: str = "interior", size: tuple[int, int] = (1024, 768)
) -> Image.Image:
    """A plausible, deterministic listing photo derived from ``seed`` (e.g. a URL)."""
    if kind == "auto":
        kind = guess_kind(seed)
    w, h = size
    rng = _rng("photo", seed, kind, w, h)
    y, x = _grid(h, w)
    img = np.zeros((h, w, 3), np.float32)
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


def _encode(arr: np.ndarray, fmt: str = "JPEG") -> bytes:
    img = Image.fromarray((np.clip(arr, 0, 1) * 255).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    if fmt.upper() == "PNG":
        img.save(buf, "PNG", optimize=False)
    elif fmt.upper() == "WEBP":
        img.save(buf, "WEBP", quality=88, method=0)
    else:
        img.save(buf, "JPEG", quality=88, optimize=False)
    return buf.getvalue()


def _blend(arr: np.ndarray, mask: np.ndarray, color: Any, strength: float) -> np.ndarray:
    m = (mask.astype(np.float32) * strength)[..., None]
    return arr * (1 - m) + np.asarray(color, np.float32) * m


def _smooth_region(
    img: Image.Image,
    box: tuple[float, float, float, float],
    radius: int,
    flatten: float = 0.0,
    tone: tuple[float, float, float] | None = None,
    tone_strength: float = 0.0,
) -> Image.Image:
    """Blur a box of the frame; optionally pull it toward its own mean colour (``flatten``)
    and/or toward a ``tone`` colour, with a feathered edge (a clean, emptied surface)."""
    w, h = img.size
    x0, y0, x1, y1 = int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return img
    region = img.crop((x0, y0, x1, y1)).filter(ImageFilter.BoxBlur(radius))
    if flatten or tone_strength:
        px = np.asarray(region)
        arr = px.astype(np.float32) / 255
        if flatten:
            arr = arr * (1 - flatten) + _mean_colour(px) * flatten
        if tone is not None and tone_strength:
            arr = arr * (1 - tone_strength) + np.asarray(tone, np.float32) * tone_strength
        region = Image.fromarray((np.clip(arr, 0, 1) * 255).astype(np.uint8), "RGB")
    feather = max(1, min(x1 - x0, y1 - y0) // 12)
    mask = Image.new("L", region.size, 0)
    mask.paste(255, (feather, feather, region.width - feather, region.height - feather))
    mask = mask.filter(ImageFilter.BoxBlur(feather / 2))
    out = img.copy()
    out.paste(region, (x0, y0), mask)
    return out


def _sky(y: np.ndarray, twilight: bool) -> np.ndarray:
    if twilight:
        top, bottom = (
            np.array([0.25, 0.15, 0.45], np.float32),
            np.array([0.98, 0.55, 0.25], np.float32),
        )
    else:
        top, bottom = (
            np.array([0.12, 0.38, 0.85], np.float32),
            np.array([0.6, 0.78, 0.95], np.float32),
        )
    t = np.clip(y / 0.4, 0, 1)[..., None]
    return top * (1 - t) + bottom * t


# Furniture layouts per room type: (shape, y0, y1, x0, x1) in frame fractions.
ROOM_LAYOUTS: dict[str, list[tuple[str, float, float, float, float]]] = {
    "living-room": [
        ("rug", 0.80, 0.95, 0.15, 0.80),
        ("sofa", 0.56, 0.78, 0.18, 0.62),
        ("table", 0.74, 0.84, 0.30, 0.52),
        ("lamp", 0.36, 0.78, 0.68, 0.74),
        ("chair", 0.62, 0.82, 0.74, 0.90),
        ("art", 0.22, 0.36, 0.28, 0.50),
    ],
    "bedroom": [
        ("rug", 0.84, 0.97, 0.10, 0.85),
        ("bed", 0.55, 0.88, 0.25, 0.70),
        ("table", 0.64, 0.76, 0.12, 0.22),
        ("lamp", 0.44, 0.66, 0.14, 0.20),
        ("table", 0.64, 0.76, 0.73, 0.83),
        ("art", 0.24, 0.38, 0.36, 0.60),
    ],
    "dining-room": [
        ("rug", 0.80, 0.97, 0.12, 0.85),
        ("table", 0.64, 0.82, 0.25, 0.70),
        ("chair", 0.58, 0.86, 0.16, 0.26),
        ("chair", 0.58, 0.86, 0.69, 0.79),
        ("lamp", 0.10, 0.40, 0.45, 0.50),
        ("art", 0.22, 0.36, 0.70, 0.88),
    ],
    "home-office": [
        ("rug", 0.84, 0.97, 0.20, 0.80),
        ("desk", 0.58, 0.80, 0.30, 0.72),
        ("chair", 0.66, 0.90, 0.44, 0.58),
        ("lamp", 0.46, 0.58, 0.62, 0.68),
        ("art", 0.22, 0.38, 0.35, 0.55),
    ],
}
ROOM_ALIASES = {
    "kitchen": "dining-room",
    "kitchen-living-area": "living-room",
    "game-room": "living-room",
    "kids-room": "bedroom",
    "kidsRoom": "bedroom",
    "livingRoom": "living-room",
    "diningRoom": "dining-room",
    "homeOffice": "home-office",
    "office": "home-office",
}


def _layout(room_type: str | None) -> list[tuple[str, float, float, float, float]]:
    raw = room_type or "living-room"
    room = ROOM_ALIASES.get(raw, raw).lower().replace("_", "-")
    room = ROOM_ALIASES.get(room, room)
    return ROOM_LAYOUTS.get(room, ROOM_LAYOUTS["living-room"])


def _furniture(
    arr: np.ndarray,
    palette: list[tuple[int, int, int]],
    rng: np.random.Generator,
    room_type: str | None,
    pieces: int,
    opacity: float,
) -> np.ndarray:
    """Draw furniture shapes (sofa, bed, rug, table, lamp, chair, art) with Pillow's C drawing
    primitives on an overlay, then alpha-blend it: fast, deterministic, layout jittered by
    ``rng`` (which depends on the variation)."""
    h, w = arr.shape[:2]
    overlay = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    dx = float(rng.uniform(-0.10, 0.10))
    dy = float(rng.uniform(-0.03, 0.03))
    grow = float(rng.uniform(0.92, 1.08))
    alpha = int(255 * max(0.0, min(1.0, opacity)))

    def col(i: int, k: float = 1.0) -> tuple[int, int, int, int]:
        c = palette[i % len(palette)]
        shade = k * float(rng.uniform(0.9, 1.08))
        return (*(int(min(255, max(0, v * shade))) for v in c), alpha)

    for i, (shape, y0, y1, x0, x1) in enumerate(_layout(room_type)[:pieces]):
        cx = (x0 + x1) / 2 + dx
        hw = (x1 - x0) / 2 * grow
        X0, X1 = int((cx - hw) * w), int((cx + hw) * w)
        Y0, Y1 = int((y0 + dy) * h), int((y1 + dy) * h)
        if X1 - X0 < 4 or Y1 - Y0 < 4:
            continue
        bw, bh = X1 - X0, Y1 - Y0
        if shape == "rug":
            draw.ellipse((X0, Y0, X1, Y1), fill=col(i, 1.05))
            draw.ellipse(
                (X0 + bw // 8, Y0 + bh // 5, X1 - bw // 8, Y1 - bh // 5), fill=col(i + 1, 1.0)
            )
        elif shape in ("sofa", "bed"):
            back = Y0 + bh * (2 if shape == "sofa" else 1) // 5
            draw.rounded_rectangle(
                (X0, Y0, X1, back + bh // 10), radius=max(2, bh // 8), fill=col(i, 0.85)
            )
            draw.rounded_rectangle(
                (X0, back, X1, Y1 - bh // 8), radius=max(2, bh // 10), fill=col(i, 1.0)
            )
            if shape == "sofa":
                arm = max(3, bw // 10)
                draw.rounded_rectangle(
                    (X0, Y0 + bh // 4, X0 + arm, Y1 - bh // 8),
                    radius=max(2, arm // 3),
                    fill=col(i, 0.8),
                )
                draw.rounded_rectangle(
                    (X1 - arm, Y0 + bh // 4, X1, Y1 - bh // 8),
                    radius=max(2, arm // 3),
                    fill=col(i, 0.8),
                )
                for k in range(1, 3):
                    cxk = X0 + bw * k // 3
                    draw.line((cxk, back, cxk, Y1 - bh // 8), fill=col(i, 0.7), width=2)
            else:
                draw.rectangle(
                    (X0 + bw // 10, back - bh // 12, X0 + bw * 9 // 20, back + bh // 12),
                    fill=col(i + 2, 1.1),
                )
                draw.rectangle(
                    (X1 - bw * 9 // 20, back - bh // 12, X1 - bw // 10, back + bh // 12),
                    fill=col(i + 2, 1.1),
                )
            draw.rectangle((X0 + bw // 20, Y1 - bh // 8, X0 + bw // 20 + 4, Y1), fill=col(i, 0.4))
            draw.rectangle((X1 - bw // 20 - 4, Y1 - bh // 8, X1 - bw // 20, Y1), fill=col(i, 0.4))
        elif shape in ("table", "desk"):
            top = Y0 + bh // 4
            draw.rectangle((X0, Y0, X1, top), fill=col(i, 1.0))
            leg = max(2, bw // 25)
            draw.rectangle((X0 + leg, top, X0 + 2 * leg, Y1), fill=col(i, 0.6))
            draw.rectangle((X1 - 2 * leg, top, X1 - leg, Y1), fill=col(i, 0.6))
        elif shape == "chair":
            seat = Y0 + bh // 2
            draw.rounded_rectangle((X0, Y0, X1, seat), radius=max(2, bw // 8), fill=col(i, 0.9))
            draw.rectangle((X0, seat, X1, seat + bh // 6), fill=col(i, 1.0))
            draw.rectangle((X0 + 2, seat + bh // 6, X0 + 6, Y1), fill=col(i, 0.5))
            draw.rectangle((X1 - 6, seat + bh // 6, X1 - 2, Y1), fill=col(i, 0.5))
        elif shape == "lamp":
            shade_h = max(4, bh // 4)
            draw.polygon(
                [
                    (X0 + bw // 4, Y0),
                    (X1 - bw // 4, Y0),
                    (X1 + bw // 2, Y0 + shade_h),
                    (X0 - bw // 2, Y0 + shade_h),
                ],
                fill=(250, 235, 200, alpha),
            )
            mid = (X0 + X1) // 2
            draw.rectangle((mid - 1, Y0 + shade_h, mid + 1, Y1), fill=col(i, 0.5))
            draw.ellipse((mid - bw, Y1 - 4, mid + bw, Y1 + 2), fill=col(i, 0.5))
        else:  # art
            draw.rectangle((X0, Y0, X1, Y1), fill=col(i, 0.5))
            draw.rectangle((X0 + 4, Y0 + 4, X1 - 4, Y1 - 4), fill=col(i + 1, 1.1))
            draw.polygon(
                [(X0 + 4, Y1 - 4), ((X0 + X1) // 2, Y0 + bh // 3), (X1 - 4, Y1 - 4)],
                fill=col(i + 2, 0.9),
            )
    ov = np.asarray(overlay, np.float32) / 255
    a = ov[..., 3:4]
    return arr * (1 - a) + ov[..., :3] * a


def _empty_room(px: np.ndarray, s: float) -> np.ndarray:
    """Remove furniture: the lower-middle region (x 8–92 %, y 40–97 %) is rebuilt row by row
    by interpolating between the colours just left and right of it (walls and floor run
    horizontally in a listing photo), lightly blurred, then pulled toward the floor colour
    (sampled along the bottom edge) below the floor line; blended with a feathered edge.
    ``px`` is the 8-bit photo; the colour samples are exact integer means of it."""
    arr = px.astype(np.float32) / 255
    h, w = arr.shape[:2]
    r0, r1, c0, c1 = int(0.4 * h), int(0.97 * h), int(0.08 * w), int(0.92 * w)
    if r1 - r0 < 4 or c1 - c0 < 4:
        return arr
    band = max(1, w // 40)
    lb, rb = px[r0:r1, max(0, c0 - band) : c0], px[r0:r1, c1 : c1 + band]
    left = (lb.sum(axis=1, dtype=np.int64) / (255 * lb.shape[1])).astype(np.float32)
    right = (rb.sum(axis=1, dtype=np.int64) / (255 * rb.shape[1])).astype(np.float32)
    t = np.linspace(0.0, 1.0, c1 - c0, dtype=np.float32)[None, :, None]
    fill = left[:, None, :] * (1 - t) + right[:, None, :] * t
    floor = _mean_colour(px[int(0.93 * h) :, c0:c1])
    rows = np.linspace(0.4, 0.97, r1 - r0, dtype=np.float32)[:, None, None]
    floor_w = np.clip((rows - 0.62) / 0.1, 0, 1) * 0.4 * s
    fill = fill * (1 - floor_w) + floor * floor_w
    yy = np.minimum(np.arange(r1 - r0), np.arange(r1 - r0)[::-1])[:, None]
    xx = np.minimum(np.arange(c1 - c0), np.arange(c1 - c0)[::-1])[None, :]
    feather = max(2, (c1 - c0) // 20)
    m = (np.clip(np.minimum(yy, xx) / feather, 0, 1) * min(1.0, 0.75 + 0.5 * s))[..., None]
    out = arr.copy()
    out[r0:r1, c0:c1] = arr[r0:r1, c0:c1] * (1 - m) + fill.astype(np.float32) * m
    return out


def _apply_tool(img: Image.Image, tool: str, s: float, rng: np.random.Generator) -> np.ndarray:
    if tool in ("furniture-eraser", "room-declutter", "refrigerator-cleanup"):
        box = {
            "furniture-eraser": (0.15, 0.45, 0.85, 0.95),
            "room-declutter": (0.05, 0.5, 0.95, 0.98),
            "refrigerator-cleanup": (0.55, 0.2, 0.9, 0.8),
        }[tool]
        flat = {"furniture-eraser": 0.6, "room-declutter": 0.35, "refrigerator-cleanup": 0.3}
        tone = (0.93, 0.93, 0.91) if tool == "refrigerator-cleanup" else None
        img = _smooth_region(img, box, int(6 + 14 * s), flat[tool] * s, tone, 0.4 * s)
    elif tool == "driveway-leaf-removal":
        img = _smooth_region(
            img, (0.05, 0.74, 0.95, 1.0), int(8 + 12 * s), 0.2 * s, (0.66, 0.64, 0.6), 0.45 * s
        )
    elif tool == "driveway-car-removal":
        img = _smooth_region(
            img, (0.3, 0.7, 0.95, 1.0), int(10 + 14 * s), 0.4 * s, (0.42, 0.42, 0.43), 0.55 * s
        )
    elif tool == "ai-furniture-background":
        blurred = img.filter(ImageFilter.GaussianBlur(6 + 6 * s))
        w, h = img.size
        blurred.paste(img.crop((w // 4, h // 4, 3 * w // 4, 3 * h // 4)), (w // 4, h // 4))
        img = blurred
    px = np.asarray(img)
    arr = px.astype(np.float32) / 255
    h, w = arr.shape[:2]
    y, x = _grid(h, w)
    lum = _lum(arr)
    if tool == "sky-enhancement":
        m = np.clip((0.42 - y) / 0.12, 0, 1) * np.ones((1, w), np.float32)
        arr = arr * (1 - s * m[..., None]) + _sky(y, False) * (s * m[..., None])
    elif tool in ("virtual-twilight", "natural-twilight"):
        k = 1.0 if tool == "virtual-twilight" else 0.6
        m = np.clip((0.42 - y) / 0.12, 0, 1) * np.ones((1, w), np.float32)
        arr = arr * (1 - 0.45 * k * s)
        arr = arr * (1 - s * m[..., None]) + _sky(y, True) * (s * m[..., None])
        bluish = arr[..., 2] > arr[..., 0] + 0.03
        glow = ((lum > 0.45) & bluish & (y > 0.42) & (y < 0.85)).astype(np.float32)
        arr = _blend(arr, glow, (1.0, 0.78, 0.4), 0.8 * k * s)
    elif tool == "night-to-day":
        arr = _gamma_table(1 - 0.45 * s)[px]
    elif tool in ("lawn-replacement", "landscape-design"):
        m = np.clip((y - 0.62) / 0.1, 0, 1) * np.ones((1, w), np.float32)
        tex = 0.04 * _wave(h, w, 300, 40)
        green = np.stack([0.22 + tex, 0.55 + tex, 0.18 + 0 * tex], -1).astype(np.float32)
        arr = arr * (1 - s * m[..., None]) + green * (s * m[..., None])
        if tool == "landscape-design":
            r0, r1 = int(0.64 * h), int(0.76 * h)
            ys, xs = y[r0:r1], x
            band = arr[r0:r1]
            bushes = np.zeros((r1 - r0, w), bool)
            for i in range(6):
                cx = 0.1 + 0.16 * i + float(rng.uniform(-0.03, 0.03))
                bushes |= ((xs - cx) / 0.05) ** 2 + ((ys - 0.7) / 0.05) ** 2 < 1
            arr[r0:r1] = _blend(band, bushes, (0.12, 0.35, 0.12), 0.9 * s)
    elif tool == "changing-seasons":
        greenish = (arr[..., 1] > arr[..., 0]) & (arr[..., 1] > arr[..., 2])
        arr = _blend(arr, greenish, (0.85, 0.5, 0.15), 0.7 * s)
        # autumn light: a warm grade over the whole frame
        arr = arr * np.array([1 + 0.12 * s, 1 - 0.02 * s, 1 - 0.18 * s], np.float32)
    elif tool == "rain-to-shine":
        arr = np.clip((arr - 0.5) * (1 + 0.4 * s) + 0.5 + 0.1 * s, 0, 1)
        m = np.clip((0.4 - y) / 0.1, 0, 1) * np.ones((1, w), np.float32)
        arr = arr * (1 - 0.6 * s * m[..., None]) + _sky(y, False) * (0.6 * s * m[..., None])
    elif tool == "add-water-to-empty-pool":
        # fill the pool basin (lower-centre ellipse) with deep, rippled turquoise water
        pool = ((y - 0.86) / 0.09) ** 2 + ((x - 0.5) / 0.32) ** 2 < 1
        ripple = 0.05 * _wave(h, w, 120, 60)
        water = np.stack([0.1 + ripple, 0.55 + ripple, 0.8 + ripple], -1)
        k = min(1.0, 0.4 + s)
        arr = np.where(pool[..., None], arr * (1 - k) + water * k, arr)
    elif tool == "pool-water-enhancement":
        # existing water (bluish pixels in the lower half) becomes clearer and more cyan,
        # with caustic highlights; the rest of the lower frame gets a slight clarity boost
        water = (arr[..., 2] > arr[..., 0] + 0.15) & (y > 0.72)
        caustic = 0.08 * np.maximum(0, _wave(1, w, 220, 0) * _wave(h, w, 40, 180))
        cyan = np.stack([0.05 + caustic, 0.78 + caustic, 0.92 + caustic], -1)
        m = (water * (0.5 + 0.5 * s)).astype(np.float32)[..., None]
        arr = arr * (1 - m) + cyan * m
        arr = np.where((y > 0.5)[..., None], np.clip((arr - 0.5) * (1 + 0.25 * s) + 0.5, 0, 1), arr)
    elif tool == "fireplace-ignition":
        fire = _glow(h, w, 0.25, 0.7, 0.08, 0.06)
        arr = arr + (fire * s)[..., None] * np.array([1.0, 0.45, 0.05], np.float32)
    elif tool == "tv-screen-replacement":
        screen = _rect(y, x, 0.35, 0.55, 0.55, 0.85)
        r, g, b = np.broadcast_arrays(0.2 + 0.6 * x, 0.3 + 0.4 * (1 - y), 0.8 - 0.3 * x)
        grad = np.stack([r, g, b], -1).astype(np.float32)
        bezel = _rect(y, x, 0.33, 0.57, 0.54, 0.86) & ~screen
        arr = np.where(bezel[..., None], np.float32(0.05), arr)
        arr = np.where(screen[..., None], arr * (1 - s) + grad * s, arr)
    elif tool == "material-overlay":
        floor = np.broadcast_to(y > 0.62, (h, w))
        grain = _wave(1, w, 90, 0)
        wood = np.stack([0.55 + 0.08 * grain, 0.38 + 0.06 * grain, 0.22 + 0 * grain], -1)
        arr = np.where(floor[..., None], arr * (1 - s) + wood.astype(np.float32) * s, arr)
    elif tool == "ai-floorplan-visualizer":
        g = np.round(lum * 4) / 4
        arr = np.repeat(g[..., None], 3, axis=2)
        lines = (np.mod(x * 16, 1.0) < 0.02) | (np.mod(y * 12, 1.0) < 0.02)
        arr = _blend(arr, np.broadcast_to(lines, (h, w)), (0.1, 0.2, 0.5), 0.8)
    elif tool == "social-media-poster":
        band = np.broadcast_to(y > 0.82, (h, w))
        arr = _blend(arr, band, (0.1, 0.1, 0.12), 0.85)
        frame = (x < 0.02) | (x > 0.98) | (y < 0.02) | (y > 0.98)
        arr = _blend(arr, frame, (0.95, 0.8, 0.2), 1.0)
    elif tool == "sketch-to-render":
        edges = (
            np.asarray(
                Image.fromarray((lum * 255).astype(np.uint8)).filter(ImageFilter.FIND_EDGES),
                np.float32,
            )
            / 255
        )
        arr = np.round(arr * 5) / 5
        arr = arr * (1 - edges[..., None] * 0.8)
    elif tool in ("add-furniture",):
        pass  # handled by the caller (furniture drawing)
    return arr


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
    elif job_type in ("virtual-stage", "interior-design") or listing_tool == "add-furniture":
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
        arr = _apply_tool(img, listing_tool or "", s, rng)
    if variation:
        jitter = (rng.uniform(-0.04, 0.04, 3) * min(variation, 5)).astype(np.float32)
        arr = arr + jitter
    arr = np.clip(arr, 0, 1)
    h, w = arr.shape[:2]
    return _encode(arr, out_format), w, h


def render_stager(
    source: Image.Image,
    *,
    operation: str,
    resolution: str = "high",
    options: dict[str, Any],
    variation: int = 0,
) -> tuple[bytes, int, int]:
    """The output of one Stager AI edit: (JPEG bytes, width, height); the long edge follows
    ``resolution`` (low 768, high 1920, superHigh 3072), the aspect ratio the input's."""
    long_edge = STAGER_LONG_EDGE.get(resolution, 1536)
    w, h = source.size
    scale = long_edge / max(w, h)
    img = source.convert("RGB").resize(
        (max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BILINEAR
    )
    rng = _rng("stager", operation, resolution, sorted(options.items()), variation)
    if operation == "stage":
        if options.get("removeFurniture"):
            img = _smooth_region(img, (0.08, 0.45, 0.92, 0.97), 12)
        arr = np.asarray(img, np.float32) / 255
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
        arr = _apply_tool(img, "lawn-replacement", s, rng)
    elif operation == "sky-replace":
        s = {"subtle": 0.35, "middle": 0.6, "dramatic": 0.9}.get(
            options.get("skySubType") or "middle", 0.6
        )
        twilight = options.get("skyType") == "twilight"
        arr = np.asarray(img, np.float32) / 255
        hh, ww = arr.shape[:2]
        y, _ = _grid(hh, ww)
        m = (np.clip((0.42 - y) / 0.12, 0, 1) * np.ones((1, ww), np.float32))[..., None]
        if twilight:
            lum = _lum(arr)
            arr = arr * (1 - 0.4 * s)
            bluish = arr[..., 2] > arr[..., 0] + 0.03
            glow = ((lum > 0.45) & bluish & (y > 0.42) & (y < 0.85)).astype(np.float32)
            arr = _blend(arr, glow, (1.0, 0.78, 0.4), 0.6 * s)
        arr = arr * (1 - s * m) + _sky(y, twilight) * (s * m)
    else:
        raise ValueError(f"unknown operation {operation!r}")
    arr = np.clip(arr, 0, 1)
    hh, ww = arr.shape[:2]
    return _encode(arr), ww, hh
