"""Furniture drawn into a room (virtual staging, interior design, the add-furniture tool,
Stager AI staging), and the emptied room (furniture removed). Palettes are keyed by the
StagePro spec's ``style`` values, layouts by its ``room_type`` values (Stager AI's room
words map onto them)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from .primitives import Floats, Pixels, _mean_colour

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
    # No layout of their own yet: the living-room set (said here, never a silent fallback).
    "bathroom": "living-room",
    "outdoor": "living-room",
    "terrace": "living-room",
    "balcony": "living-room",
    "exterior": "living-room",
    "garage": "living-room",
}


def layout_key(room_type: str | None) -> str | None:
    """The layout a room word of either API (``living-room``, ``LIVING_ROOM``, ``kidsRoom``)
    is furnished with; ``None`` for a word nobody mapped (a test names such spec values)."""
    raw = room_type or "living-room"
    room = ROOM_ALIASES.get(raw, raw).lower().replace("_", "-")
    room = ROOM_ALIASES.get(room, room)
    return room if room in ROOM_LAYOUTS else None


def _layout(room_type: str | None) -> list[tuple[str, float, float, float, float]]:
    return ROOM_LAYOUTS[layout_key(room_type) or "living-room"]


def _furniture(
    arr: Floats,
    palette: list[tuple[int, int, int]],
    rng: np.random.Generator,
    room_type: str | None,
    pieces: int,
    opacity: float,
) -> Floats:
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
        r, g, b = (int(min(255, max(0, v * shade))) for v in c)
        return (r, g, b, alpha)

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
    # Only where something was drawn: outside the drawing's box the blend is the identity
    # (alpha 0 gives ``arr * 1 + 0``, the same floats), so skipping it changes no byte.
    box = overlay.getchannel("A").getbbox()
    if box is None:
        return arr
    x0, y0, x1, y1 = box
    ov = np.asarray(overlay.crop(box), np.float32) / 255
    a = ov[..., 3:4]
    out = arr.copy()
    out[y0:y1, x0:x1] = arr[y0:y1, x0:x1] * (1 - a) + ov[..., :3] * a
    return out


def _empty_room(px: Pixels, s: float) -> Floats:
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
