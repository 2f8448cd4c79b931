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

import numpy as np
from PIL import Image, ImageFilter

WEIGHT_SIDE = 512


def _decode(data: bytes) -> Image.Image:
    from .decode import load_rgb

    return load_rgb(data, max_side=4096)


def mean_luminance(data: bytes) -> float:
    img = _decode(data).convert("L")
    return float(np.asarray(img, np.float32).mean())


def _box_blur(a: np.ndarray, radius: int, passes: int = 3) -> np.ndarray:
    """Separable box blur (three passes ≈ Gaussian), edge-padded."""
    for _ in range(passes):
        for axis in (0, 1):
            pad = [(0, 0), (0, 0)]
            pad[axis] = (radius + 1, radius)
            c = np.cumsum(np.pad(a, pad, mode="edge"), axis=axis)
            n = 2 * radius + 1
            if axis == 0:
                a = (c[n:] - c[:-n]) / n
            else:
                a = (c[:, n:] - c[:, :-n]) / n
    return a


def _weights(small: np.ndarray) -> np.ndarray:
    gray = small.mean(axis=2)
    lap = np.abs(
        -4 * gray
        + np.roll(gray, 1, 0)
        + np.roll(gray, -1, 0)
        + np.roll(gray, 1, 1)
        + np.roll(gray, -1, 1)
    )
    sat = small.std(axis=2)
    well = np.exp(-((small - 0.5) ** 2) / (2 * 0.2**2)).prod(axis=2)
    return (lap + 1e-3) * (sat + 1e-3) * well + 1e-6


def merge_brackets(
    brackets: list[bytes],
    *,
    lens_correction: bool = False,
    perspective_correction: bool = False,
    photographer_removal: bool = False,
) -> tuple[bytes, int, int]:
    if not brackets:
        raise ValueError("no brackets to merge")
    images = [_decode(b) for b in brackets]
    w, h = images[0].size
    images = [
        im if im.size == (w, h) else im.resize((w, h), Image.Resampling.BILINEAR) for im in images
    ]
    scale = WEIGHT_SIDE / max(w, h)
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    weights = []
    for im in images:
        small = np.asarray(im.resize((sw, sh), Image.Resampling.BILINEAR), np.float32) / 255
        weights.append(_weights(small))
    total = np.sum(weights, axis=0)
    acc = np.zeros((h, w, 3), np.float32)
    wsum = np.zeros((h, w), np.float32)
    for im, wt in zip(images, weights, strict=True):
        norm = _box_blur(wt / total, 4)
        full = np.asarray(
            Image.fromarray(norm.astype(np.float32), "F").resize((w, h), Image.Resampling.BILINEAR),
            np.float32,
        )
        acc += np.asarray(im, np.float32) * full[..., None]
        wsum += full
    out = np.clip(acc / np.maximum(wsum, 1e-6)[..., None], 0, 255).astype(np.uint8)
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
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    nx, ny = (x - cx) / cx, (y - cy) / cy
    r2 = nx * nx + ny * ny
    # k1 < 0: each output pixel samples closer to the centre the further out it is, which
    # straightens barrel-bowed lines; every sample stays inside the frame (no black border).
    factor = 1 + k1 * r2
    sx = np.clip(cx + nx * factor * cx, 0, w - 1)
    sy = np.clip(cy + ny * factor * cy, 0, h - 1)
    return Image.fromarray(arr[sy.astype(np.int32), sx.astype(np.int32)], "RGB")


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
