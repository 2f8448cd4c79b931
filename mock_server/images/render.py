"""Output images: deterministic synthetic photos for remote URLs, and the visible effect of
every StagePro job type / listing tool and every Stager AI edit. Vectorised NumPy; the same
arguments always give the same bytes."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

RATIOS = {
    "1:1": 1.0,
    "4:3": 4 / 3,
    "3:2": 1.5,
    "16:9": 16 / 9,
    "9:16": 9 / 16,
    "2:3": 2 / 3,
    "3:4": 3 / 4,
}
STAGER_LONG_EDGE = {"low": 768, "high": 1536, "superHigh": 3072}

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


def _rect(y: np.ndarray, x: np.ndarray, y0: float, y1: float, x0: float, x1: float) -> np.ndarray:
    return ((y >= y0) & (y < y1)) & ((x >= x0) & (x < x1))


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
        floor_mask = np.broadcast_to(y >= horizon, (h, w))
        shade = (0.75 + 0.35 * (y - horizon)).astype(np.float32)
        img = np.where(floor_mask[..., None], floor * shade[..., None], img)
        wx0 = 0.15 + 0.45 * c[6]
        window = _rect(y, x, 0.12, horizon - 0.12, wx0, wx0 + 0.22)
        img = np.where(window[..., None], np.array([0.92, 0.96, 1.0], np.float32), img)
        frame = _rect(y, x, 0.11, horizon - 0.11, wx0 - 0.01, wx0 + 0.23) & ~window
        img = np.where(frame[..., None], np.float32(0.95), img)
        base = _rect(y, x, horizon - 0.015, horizon, 0.0, 1.0)
        img = np.where(base[..., None], np.float32(0.92), img)
    else:
        sky_top = np.array([0.45 + 0.2 * c[0], 0.6 + 0.15 * c[0], 0.78 + 0.1 * c[1]], np.float32)
        sky_bottom = np.array([0.78, 0.82, 0.86], np.float32)
        t = np.clip(y / 0.45, 0, 1)[..., None]
        img = np.broadcast_to(sky_top * (1 - t) + sky_bottom * t, (h, w, 3)).copy()
        lawn_y = 0.72 + 0.06 * c[2]
        lawn = np.array([0.3 + 0.15 * c[3], 0.45 + 0.15 * c[3], 0.2], np.float32)
        img = np.where(
            np.broadcast_to(y >= lawn_y, (h, w))[..., None], lawn * (0.8 + 0.3 * y)[..., None], img
        )
        hx0, hx1 = 0.2 + 0.1 * c[4], 0.75 + 0.1 * c[5]
        wall_c = np.array([0.8 * (0.7 + 0.3 * c[6]), 0.75, 0.68], np.float32)
        house = _rect(y, x, 0.42, lawn_y, hx0, hx1)
        img = np.where(house[..., None], wall_c, img)
        mid = (hx0 + hx1) / 2
        roof = (
            (y >= 0.24)
            & (y < 0.42)
            & (np.abs(x - mid) < (y - 0.24) / 0.18 * (hx1 - hx0) / 2 + 0.02)
        )
        img = np.where(roof[..., None], np.array([0.35, 0.25, 0.22], np.float32), img)
        for i in range(3):
            wx = hx0 + (hx1 - hx0) * (0.12 + 0.3 * i)
            win = _rect(y, x, 0.5, 0.6, wx, wx + (hx1 - hx0) * 0.14)
            img = np.where(win[..., None], np.array([0.55, 0.62, 0.7], np.float32), img)
        door = _rect(y, x, 0.56, lawn_y, mid - 0.03, mid + 0.03)
        img = np.where(door[..., None], np.array([0.4, 0.25, 0.15], np.float32), img)
        if kind == "pool":
            pool = ((y - 0.88) / 0.07) ** 2 + ((x - 0.5) / 0.3) ** 2 < 1
            img = np.where(
                pool[..., None],
                np.array([0.3, 0.7, 0.85], np.float32) * (0.9 + 0.2 * x)[..., None],
                img,
            )
    noise = rng.normal(0, 0.012, (h, w, 1)).astype(np.float32)
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
    else:
        img.save(buf, "JPEG", quality=88, optimize=False)
    return buf.getvalue()


def _blend(arr: np.ndarray, mask: np.ndarray, color: Any, strength: float) -> np.ndarray:
    m = (mask.astype(np.float32) * strength)[..., None]
    return arr * (1 - m) + np.asarray(color, np.float32) * m


def _smooth_region(
    img: Image.Image, box: tuple[float, float, float, float], radius: int
) -> Image.Image:
    w, h = img.size
    x0, y0, x1, y1 = int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)
    region = img.crop((x0, y0, x1, y1)).filter(ImageFilter.BoxBlur(radius))
    out = img.copy()
    out.paste(region, (x0, y0))
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


def _furniture(
    arr: np.ndarray, y, x, palette, rng: np.random.Generator, pieces: int, opacity: float
) -> np.ndarray:
    """Furniture as flat shapes, blended only inside each piece's rectangle (fast)."""
    h, w = arr.shape[:2]
    dx = float(rng.uniform(-0.12, 0.12))
    layout = [
        (0.55, 0.75, 0.2, 0.62),  # sofa
        (0.78, 0.93, 0.15, 0.8),  # rug
        (0.68, 0.78, 0.42, 0.6),  # table
        (0.35, 0.72, 0.7, 0.72),  # lamp
        (0.6, 0.78, 0.7, 0.85),  # chair
        (0.2, 0.35, 0.3, 0.5),  # art
    ]
    arr = arr.copy()
    for i, (y0, y1, x0, x1) in enumerate(layout[:pieces]):
        color = np.asarray(palette[i % len(palette)], np.float32) / 255
        shade = float(rng.uniform(0.85, 1.1))
        r0, r1 = int(y0 * h), int(y1 * h)
        c0, c1 = max(0, int((x0 + dx) * w)), min(w, int((x1 + dx) * w))
        if r1 <= r0 or c1 <= c0:
            continue
        block = arr[r0:r1, c0:c1]
        arr[r0:r1, c0:c1] = block * (1 - opacity) + np.clip(color * shade, 0, 1) * opacity
    return arr


def _apply_tool(img: Image.Image, tool: str, s: float, rng: np.random.Generator) -> np.ndarray:
    if tool in ("furniture-eraser", "room-declutter", "refrigerator-cleanup"):
        box = {
            "furniture-eraser": (0.15, 0.45, 0.85, 0.95),
            "room-declutter": (0.05, 0.5, 0.95, 0.98),
            "refrigerator-cleanup": (0.55, 0.2, 0.9, 0.8),
        }[tool]
        img = _smooth_region(img, box, int(6 + 14 * s))
    elif tool in ("driveway-leaf-removal", "driveway-car-removal"):
        img = _smooth_region(
            img, (0.3 if tool.endswith("car-removal") else 0.05, 0.75, 0.95, 1.0), int(8 + 12 * s)
        )
    elif tool == "ai-furniture-background":
        blurred = img.filter(ImageFilter.GaussianBlur(6 + 6 * s))
        w, h = img.size
        blurred.paste(img.crop((w // 4, h // 4, 3 * w // 4, 3 * h // 4)), (w // 4, h // 4))
        img = blurred
    arr = np.asarray(img, np.float32) / 255
    h, w = arr.shape[:2]
    y, x = _grid(h, w)
    lum = arr.mean(axis=2)
    if tool == "sky-enhancement":
        m = np.clip((0.42 - y) / 0.12, 0, 1) * np.ones((1, w), np.float32)
        arr = arr * (1 - s * m[..., None]) + _sky(y, False) * (s * m[..., None])
    elif tool in ("virtual-twilight", "natural-twilight"):
        k = 1.0 if tool == "virtual-twilight" else 0.6
        m = np.clip((0.42 - y) / 0.12, 0, 1) * np.ones((1, w), np.float32)
        arr = arr * (1 - 0.45 * k * s)
        arr = arr * (1 - s * m[..., None]) + _sky(y, True) * (s * m[..., None])
        glow = ((lum > 0.5) & (y > 0.42) & (y < 0.8)).astype(np.float32)
        arr = _blend(arr, glow, (1.0, 0.78, 0.4), 0.8 * k * s)
    elif tool == "night-to-day":
        arr = np.power(arr, 1 - 0.45 * s)
    elif tool in ("lawn-replacement", "landscape-design"):
        m = np.clip((y - 0.62) / 0.1, 0, 1) * np.ones((1, w), np.float32)
        tex = 0.04 * np.sin(x * 300 + y * 40)
        green = np.stack([0.22 + tex, 0.55 + tex, 0.18 + 0 * tex], -1).astype(np.float32)
        arr = arr * (1 - s * m[..., None]) + green * (s * m[..., None])
        if tool == "landscape-design":
            for i in range(6):
                cx, cy = 0.1 + 0.16 * i + float(rng.uniform(-0.03, 0.03)), 0.7
                bush = ((x - cx) / 0.05) ** 2 + ((y - cy) / 0.05) ** 2 < 1
                arr = _blend(arr, bush, (0.12, 0.35, 0.12), 0.9 * s)
    elif tool == "changing-seasons":
        greenish = (arr[..., 1] > arr[..., 0]) & (arr[..., 1] > arr[..., 2])
        arr = _blend(arr, greenish, (0.85, 0.5, 0.15), 0.7 * s)
    elif tool == "rain-to-shine":
        arr = np.clip((arr - 0.5) * (1 + 0.4 * s) + 0.5 + 0.1 * s, 0, 1)
        m = np.clip((0.4 - y) / 0.1, 0, 1) * np.ones((1, w), np.float32)
        arr = arr * (1 - 0.6 * s * m[..., None]) + _sky(y, False) * (0.6 * s * m[..., None])
    elif tool in ("add-water-to-empty-pool", "pool-water-enhancement"):
        pool = ((y - 0.86) / 0.09) ** 2 + ((x - 0.5) / 0.32) ** 2 < 1
        ripple = 0.05 * np.sin(x * 120 + y * 60)
        water = np.stack([0.15 + ripple, 0.65 + ripple, 0.85 + ripple], -1)
        arr = np.where(pool[..., None], arr * (1 - s) + water * s, arr)
    elif tool == "fireplace-ignition":
        fire = np.exp(-(((x - 0.25) / 0.08) ** 2 + ((y - 0.7) / 0.06) ** 2))
        arr = arr + (fire * s)[..., None] * np.array([1.0, 0.45, 0.05], np.float32)
    elif tool == "tv-screen-replacement":
        screen = _rect(y, x, 0.35, 0.55, 0.55, 0.85)
        grad = np.stack([0.2 + 0.6 * x, 0.3 + 0.4 * (1 - y), 0.8 - 0.3 * x], -1) * np.ones(
            (h, w, 1)
        )
        arr = np.where(screen[..., None], grad.astype(np.float32), arr)
    elif tool == "material-overlay":
        floor = np.broadcast_to(y > 0.62, (h, w))
        wood = np.stack(
            [0.55 + 0.08 * np.sin(x * 90), 0.38 + 0.06 * np.sin(x * 90), 0.22 + 0 * x], -1
        )
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
        img = _smooth_region(img, (0.08, 0.45, 0.92, 0.97), int(10 + 12 * s))
        arr = np.asarray(img, np.float32) / 255
        h, w = arr.shape[:2]
        y, x = _grid(h, w)
        floor = arr[int(h * 0.9) :].reshape(-1, 3).mean(axis=0)
        arr = _blend(arr, _rect(y, x, 0.5, 0.95, 0.1, 0.9), floor, 0.6 * s)
    elif job_type in ("virtual-stage", "interior-design") or listing_tool == "add-furniture":
        arr = np.asarray(img, np.float32) / 255
        h, w = arr.shape[:2]
        y, x = _grid(h, w)
        if job_type == "interior-design":
            wall = np.asarray(palette[1], np.float32) / 255
            arr = _blend(arr, np.broadcast_to(y < 0.55, (h, w)), wall, 0.45 * s)
        pieces = 3 + (_digest(room_type) % 3) if job_type != "interior-design" else 4
        arr = _furniture(arr, y, x, palette, rng, pieces, 0.55 + 0.4 * s)
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
    ``resolution`` (low 768, high 1536, superHigh 3072), the aspect ratio the input's."""
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
        arr = _furniture(arr, y, x, palette, rng, pieces, 0.55 if subtle else 0.9)
    elif operation == "lawn-replace":
        s = {"light": 0.35, "medium": 0.6, "strong": 0.9}[options.get("lawnType", "medium")]
        arr = _apply_tool(img, "lawn-replacement", s, rng)
    elif operation == "sky-replace":
        s = {"subtle": 0.35, "middle": 0.6, "dramatic": 0.9}[options.get("skySubType", "middle")]
        twilight = options.get("skyType") == "twilight"
        arr = np.asarray(img, np.float32) / 255
        hh, ww = arr.shape[:2]
        y, _ = _grid(hh, ww)
        m = (np.clip((0.42 - y) / 0.12, 0, 1) * np.ones((1, ww), np.float32))[..., None]
        if twilight:
            lum = arr.mean(axis=2)
            arr = arr * (1 - 0.4 * s)
            glow = ((lum > 0.5) & (y > 0.42)).astype(np.float32)
            arr = _blend(arr, glow, (1.0, 0.78, 0.4), 0.6 * s)
        arr = arr * (1 - s * m) + _sky(y, twilight) * (s * m)
    else:
        raise ValueError(f"unknown operation {operation!r}")
    arr = np.clip(arr, 0, 1)
    hh, ww = arr.shape[:2]
    return _encode(arr), ww, hh
