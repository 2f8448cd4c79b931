"""Pixel primitives shared by every renderer: seeded randomness, the coordinate grid, exact
lookup tables (waves, glows, gamma, noise), masks, blends and JPEG/PNG encoding.

Same bytes on any CPU: no pixel goes through a float reduction (``sum``/``mean`` over an
axis, whose summation order follows NumPy's SIMD width) or a transcendental of a pixel or
coordinate array (``exp``, ``power``, ``sin``, whose last bits differ between NumPy's
AVX-512, AVX2, SSE and NEON kernels and between libms). Those come from lookup tables
computed once with Python's ``math`` and quantised to integers, combined in integer
arithmetic; what remains is element-wise float ``+ - * /`` (IEEE-exact) and Pillow's integer
8-bit filters, resampling and JPEG encoding."""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Iterable
from functools import lru_cache
from statistics import NormalDist
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

#: A float frame (h×w×3, RGB in 0–1), mask, grid axis or lookup table: float32 at run time,
#: but NumPy's stubs type some float32 arithmetic (``arr / 255``) as float64.
Floats: TypeAlias = npt.NDArray[np.float32 | np.float64]
#: 8-bit pixels, as ``np.asarray`` gives them from an RGB or L image.
Pixels: TypeAlias = npt.NDArray[np.uint8]
#: Fixed-point integer tables and exact integer sums.
Ints: TypeAlias = npt.NDArray[np.int64]
#: A boolean mask (h×w).
Bools: TypeAlias = npt.NDArray[np.bool_]


def _digest(*parts: object) -> int:
    raw = "\x00".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big")


def _rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng(_digest(*parts))


def _grid(h: int, w: int) -> tuple[Floats, Floats]:
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    return y, x


#: Fixed-point one of the geometry tables below.
GEO_ONE = 1 << 14


def _axis(n: int) -> Floats:
    """The coordinates of ``_grid`` along one axis (float32 ``linspace`` values)."""
    return np.linspace(0.0, 1.0, n, dtype=np.float32)


def _quantise(values: Iterable[float], one: int = GEO_ONE) -> Ints:
    """Python floats → int64 fixed point (``one`` is 1.0), rounded half to even."""
    return np.array([round(v * one) for v in values], np.int64)


@lru_cache(maxsize=64)
def _sin_cos(n: int, freq: float) -> tuple[Ints, Ints]:
    """sin and cos of ``freq · t`` along an axis of ``n`` grid coordinates ``t``, quantised."""
    t = _axis(n).tolist()
    return (_quantise(math.sin(freq * v) for v in t),
            _quantise(math.cos(freq * v) for v in t))


def _wave(h: int, w: int, fx: float, fy: float) -> Floats:
    """sin(fx·x + fy·y) over an h×w frame (float32), exactly the same on every machine:
    sin(a + b) = sin a·cos b + cos a·sin b on quantised per-axis tables, in int64."""
    sx, cx = _sin_cos(w, fx)
    sy, cy = _sin_cos(h, fy)
    v = sy[:, None] * cx[None, :] + cy[:, None] * sx[None, :]
    return v.astype(np.float32) / np.float32(GEO_ONE * GEO_ONE)


@lru_cache(maxsize=64)
def _gauss(n: int, centre: float, width: float) -> Ints:
    """exp(-((t - centre) / width)²) along an axis of ``n`` grid coordinates, quantised."""
    return _quantise(math.exp(-(((v - centre) / width) ** 2)) for v in _axis(n).tolist())


def _glow(h: int, w: int, cx: float, cy: float, rx: float, ry: float) -> Floats:
    """A Gaussian spot exp(-((x-cx)/rx)² - ((y-cy)/ry)²) over an h×w frame (float32): the
    product of two quantised per-axis tables, in int64."""
    v = _gauss(h, cy, ry)[:, None] * _gauss(w, cx, rx)[None, :]
    return v.astype(np.float32) / np.float32(GEO_ONE * GEO_ONE)


@lru_cache(maxsize=16)
def _gamma_table(gamma: float) -> Floats:
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


def _lum(arr: Floats) -> Floats:
    """Mean of the three channels, added in a fixed order (not a reduction)."""
    return (arr[..., 0] + arr[..., 1] + arr[..., 2]) / np.float32(3)


def _mean_colour(px: Pixels) -> Floats:
    """The mean colour (float32, 0–1) of 8-bit pixels, summed exactly in integers."""
    flat = px.reshape(-1, 3)
    return (flat.sum(axis=0, dtype=np.int64) / (255 * max(1, len(flat)))).astype(np.float32)


def _rect(y: Floats, x: Floats, y0: float, y1: float, x0: float, x1: float) -> Bools:
    return ((y >= y0) & (y < y1)) & ((x >= x0) & (x < x1))


def _span(axis: Floats, lo: float, hi: float) -> slice[int, int, int | None]:
    """The index range where ``lo <= axis < hi`` on a sorted grid axis: exactly the pixels
    ``_rect`` selects, as a slice (assigning a slice is much cheaper than a full-frame
    ``np.where``)."""
    flat = axis.ravel()
    return slice(int(np.searchsorted(flat, lo, "left")), int(np.searchsorted(flat, hi, "left")))


def _fill(
    img: Floats, y: Floats, x: Floats,
    y0: float, y1: float, x0: float, x1: float, value: npt.ArrayLike,
) -> None:
    img[_span(y, y0, y1), _span(x, x0, x1)] = value


def _encode(arr: Floats, fmt: str = "JPEG", png_level: int | None = None) -> bytes:
    """``png_level``: zlib's level for a PNG (Pillow's default when None)."""
    img = Image.fromarray((np.clip(arr, 0, 1) * 255).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    if fmt.upper() == "PNG":
        level = {} if png_level is None else {"compress_level": png_level}
        img.save(buf, "PNG", optimize=False, **level)
    elif fmt.upper() == "WEBP":
        img.save(buf, "WEBP", quality=88, method=0)
    else:
        img.save(buf, "JPEG", quality=88, optimize=False)
    return buf.getvalue()


def _blend(arr: Floats, mask: Bools | Floats, color: npt.ArrayLike, strength: float) -> Floats:
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


def _sky(y: Floats, twilight: bool) -> Floats:
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


def _band_above(y: Floats, w: int, edge: float, soft: float) -> Floats:
    """A mask (h×w, float32) that is 1 above ``edge - soft`` and fades to 0 at ``edge``: the
    sky of a listing photo."""
    return np.clip((edge - y) / soft, 0, 1) * np.ones((1, w), np.float32)


def _band_below(y: Floats, w: int, edge: float, soft: float) -> Floats:
    """A mask (h×w, float32) that is 0 above ``edge`` and 1 below ``edge + soft``: the
    ground."""
    return np.clip((y - edge) / soft, 0, 1) * np.ones((1, w), np.float32)


def _window_glow(arr: Floats, lum: Floats, y: Floats) -> Floats:
    """Where the (darkened) frame ``arr`` shows lit windows: bright in ``lum`` (taken before
    darkening), bluish now, in the facade's band."""
    bluish = arr[..., 2] > arr[..., 0] + 0.03
    return ((lum > 0.45) & bluish & (y > 0.42) & (y < 0.85)).astype(np.float32)
