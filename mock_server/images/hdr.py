"""HDR bracket merge: Mertens-style exposure fusion (NumPy), plus the Stager AI pipeline's
corrections.

- ``lens_correction``: undoes barrel distortion with a radial remap (k1 = -0.08) and crops
  back to the frame: straight lines near the edges bow less; the image is slightly zoomed.
- ``perspective_correction``: a keystone correction that widens the top of the frame by 4 %
  on each side (converging verticals become parallel), via a Pillow QUAD transform.
- ``photographer_removal``: the central-lower region where a photographer reflected in a
  mirror or window would stand (x 40–60 %, y 55–95 % of the frame) is replaced by a
  median-filtered copy of itself with a feathered edge: a visible smoothing of that region.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

WEIGHT_SIDE = 512

# Every step that decides a pixel is integer arithmetic (or Pillow's fixed-point 8-bit
# resampling), so the merged bytes do not depend on which SIMD kernels NumPy dispatches
# (AVX-512, AVX2, SSE, NEON give different last bits for float ``exp`` and for the summation
# order of float reductions) nor on the platform's libm.

#: Scale of the well-exposedness table: 1.0 is ``1 << WELL_BITS``.
WELL_BITS = 12
#: Added to every weight: in flat, grey regions (no contrast, no saturation) the brackets
#: then mix almost evenly instead of by exposure alone, as in the classic float formula
#: (contrast + 1e-3)(saturation + 1e-3)·well + 1e-6 whose scale this follows (contrast
#: ×765, saturation ×~590, well-exposedness ×4096).
FLOOR = 1849
#: Fixed-point scale of the normalised weight maps before blurring: 1.0 is ``1 << NORM_BITS``.
NORM_BITS = 16


def _well_exposed_exact() -> list[float]:
    """Mertens' well-exposedness exp(-(v - 0.5)² / (2·0.2²)) of each 8-bit value v/255."""
    return [math.exp(-((v / 255 - 0.5) ** 2) / (2 * 0.2**2)) for v in range(256)]


#: The well-exposedness of each 8-bit value, quantised once to integers (so a last-bit
#: difference between libm implementations cannot reach a pixel).
WELL = np.array([round(x * (1 << WELL_BITS)) for x in _well_exposed_exact()], np.int64)


def _decode(data: bytes) -> Image.Image:
    from .decode import load_rgb

    return load_rgb(data, max_side=4096)


def mean_luminance(data: bytes) -> float:
    """Mean of the 8-bit luma (Pillow's integer RGB→L), summed exactly in integers."""
    img = np.asarray(_decode(data).convert("L"))
    return int(img.sum(dtype=np.int64)) / img.size


def _box_blur(
    a: npt.NDArray[np.int64], radius: int, passes: int = 3
) -> npt.NDArray[np.int64]:
    """Separable box blur of an integer array (three passes ≈ Gaussian), edge-padded; each
    window sum is exact (int64 prefix sums) and divided with rounding half up."""
    n = 2 * radius + 1
    a = a.astype(np.int64)
    for _ in range(passes):
        for axis in (0, 1):
            pad = [(0, 0), (0, 0)]
            pad[axis] = (radius + 1, radius)
            c = np.cumsum(np.pad(a, pad, mode="edge"), axis=axis)
            win = c[n:] - c[:-n] if axis == 0 else c[:, n:] - c[:, :-n]
            a = (win + n // 2) // n
    return a


def _weights(small: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """Mertens' exposure-fusion weight of each pixel of an 8-bit RGB image, as int64:
    contrast (|Laplacian| of the channel sum) × saturation (max − min of the channels) ×
    well-exposedness (product of the three channels' table values), plus ``FLOOR``."""
    px = small.astype(np.int64)
    gray = px.sum(axis=2, dtype=np.int64)
    lap = np.abs(
        -4 * gray
        + np.roll(gray, 1, 0)
        + np.roll(gray, -1, 0)
        + np.roll(gray, 1, 1)
        + np.roll(gray, -1, 1)
    )
    sat = px.max(axis=2) - px.min(axis=2)
    well = WELL[small[..., 0]] * WELL[small[..., 1]] >> WELL_BITS
    well = well * WELL[small[..., 2]] >> WELL_BITS
    return (lap + 1) * (sat + 1) * well + FLOOR


def merge_brackets(
    brackets: list[bytes],
    *,
    lens_correction: bool = False,
    perspective_correction: bool = False,
    photographer_removal: bool = False,
) -> tuple[bytes, int, int]:
    """Exposure fusion: per-pixel weights on a ≤512 px copy of each bracket, normalised
    across brackets, blurred, scaled to full size as 8-bit maps, then a weighted mean of the
    brackets in integers (rounded half up)."""
    if not brackets:
        raise ValueError("no brackets to merge")
    images = [_decode(b) for b in brackets]
    w, h = images[0].size
    images = [
        im if im.size == (w, h) else im.resize((w, h), Image.Resampling.BILINEAR) for im in images
    ]
    scale = WEIGHT_SIDE / max(w, h)
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    weights = [
        _weights(np.asarray(im.resize((sw, sh), Image.Resampling.BILINEAR))) for im in images
    ]
    total = np.zeros_like(weights[0])
    for wt in weights:  # in bracket order, exact in int64
        total += wt
    acc = np.zeros((h, w, 3), np.int32)
    wsum = np.zeros((h, w), np.int32)
    for im, wt in zip(images, weights, strict=True):
        norm = _box_blur((wt << NORM_BITS) // total, 4)
        norm8 = np.minimum((norm + (1 << (NORM_BITS - 9))) >> (NORM_BITS - 8), 255)
        full = np.asarray(
            Image.fromarray(norm8.astype(np.uint8), "L").resize(
                (w, h), Image.Resampling.BILINEAR
            )
        )
        acc += np.multiply(np.asarray(im), full[..., None], dtype=np.uint16)
        wsum += full
    # round(acc / wsum), computed as floor((acc + wsum // 2) / wsum). Both operands are
    # integers below 2**24, so exact in float32; a true quotient that is not an integer lies
    # at least 1/wsum ≥ 2**-11 from the next one, far more than float32's rounding error at
    # ≤ 255 (2**-16): the truncated float32 quotient is the exact integer result, on any CPU
    # (IEEE division is correctly rounded), and cheaper than integer division.
    wsum = np.maximum(wsum, 1)[..., None]
    out = np.minimum((acc + wsum // 2).astype(np.float32) / wsum.astype(np.float32), 255)
    out = out.astype(np.uint8)
    result = Image.fromarray(out, "RGB")
    if lens_correction:
        result = _undistort(result, -0.08)
    if perspective_correction:
        dx = 0.04 * w
        result = result.transform(
            (w, h), Image.Transform.QUAD, (-dx, 0, 0, h, w, h, w + dx, 0), Image.Resampling.BILINEAR
        )
        result = _fill_black_edges(result)
    if photographer_removal:
        result = _remove_photographer(result)
    buf = io.BytesIO()
    result.save(buf, "JPEG", quality=90, optimize=False)
    return buf.getvalue(), w, h


def _undistort(img: Image.Image, k1: float) -> Image.Image:
    arr = np.asarray(img)
    h, w = arr.shape[:2]
    return Image.fromarray(arr.reshape(-1, 3)[_undistort_map(w, h, k1)], "RGB")


@lru_cache(maxsize=2)
def _undistort_map(w: int, h: int, k1: float) -> npt.NDArray[np.int32]:
    """The radial remap of ``_undistort`` for one frame size, as flat source indices
    (geometry only: computed once per size with element-wise float32 math, then integers)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    nx, ny = (x - cx) / cx, (y - cy) / cy
    r2 = nx * nx + ny * ny
    # k1 < 0: each output pixel samples closer to the centre the further out it is, which
    # straightens barrel-bowed lines; every sample stays inside the frame (no black border).
    factor = 1 + k1 * r2
    sx = np.clip(cx + nx * factor * cx, 0, w - 1)
    sy = np.clip(cy + ny * factor * cy, 0, h - 1)
    index = sy.astype(np.int32) * w + sx.astype(np.int32)
    index.flags.writeable = False
    return index


def _fill_black_edges(img: Image.Image) -> Image.Image:
    w, h = img.size
    inset = int(0.04 * w) + 1
    return img.crop((inset, 0, w - inset, h)).resize((w, h), Image.Resampling.BILINEAR)


def _remove_photographer(img: Image.Image) -> Image.Image:
    w, h = img.size
    box = (int(0.4 * w), int(0.55 * h), int(0.6 * w), int(0.95 * h))
    region = img.crop(box)
    small = region.resize((max(1, region.width // 4), max(1, region.height // 4)))
    smooth = small.filter(ImageFilter.MedianFilter(5)).resize(
        region.size, Image.Resampling.BILINEAR
    )
    mask = Image.new("L", region.size, 0)
    inner = Image.new("L", (max(1, region.width - 16), max(1, region.height - 16)), 255)
    mask.paste(inner, (8, 8))
    mask = mask.filter(ImageFilter.GaussianBlur(6))
    out = img.copy()
    out.paste(Image.composite(smooth, region, mask), box[:2])
    return out
