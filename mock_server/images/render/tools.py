"""The StagePro listing tools: one registered render per value of the spec's
``input.listing_tool`` enum, with its capabilities category next to it.

To add a tool: add its slug to the spec's enum and one function here decorated with
``@listing_tool("<slug>", category=...)``. ``check_against(spec_tools)`` (called when the
StagePro backend starts, and by a test) names any spec value without a render and any render
the spec does not list, so neither can be forgotten silently.

A render takes the (already cropped) RGB photo, the strength ``s`` (from ``creativity``) and
the job's seeded generator, and returns the frame as float32 RGB in 0–1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from .primitives import (
    Floats,
    _band_above,
    _band_below,
    _blend,
    _gamma_table,
    _glow,
    _grid,
    _lum,
    _rect,
    _sky,
    _smooth_region,
    _wave,
    _window_glow,
)

Render = Callable[[Image.Image, float, np.random.Generator], Floats]

#: The capabilities answer groups tools by these (a guess of ours: the vendor lists none).
CATEGORIES = ("interior", "exterior", "pool", "twilight", "other")


@dataclass(frozen=True)
class ListingTool:
    slug: str
    category: str
    apply: Render
    #: The display name, when the slug's title case is not it.
    name: str | None = None
    #: Drawn by the job renderer's furniture pass (``apply`` is then never called).
    furniture: bool = False

    @property
    def display_name(self) -> str:
        return self.name or self.slug.replace("-", " ").title()


TOOLS: dict[str, ListingTool] = {}


def listing_tool(
    slug: str, *, category: str, name: str | None = None, furniture: bool = False
) -> Callable[[Render], Render]:
    if category not in CATEGORIES:
        raise ValueError(f"listing tool {slug!r}: unknown category {category!r}")

    def register(render: Render) -> Render:
        if slug in TOOLS:
            raise ValueError(f"listing tool {slug!r} is registered twice")
        TOOLS[slug] = ListingTool(slug, category, render, name, furniture)
        return render

    return register


def tool(slug: str) -> ListingTool:
    try:
        return TOOLS[slug]
    except KeyError:
        raise LookupError(f"no render is registered for listing tool {slug!r}") from None


def check_against(spec_tools: Iterable[str]) -> None:
    """Raise naming every spec value without a render and every render the spec lacks."""
    spec = set(spec_tools)
    missing, extra = sorted(spec - TOOLS.keys()), sorted(TOOLS.keys() - spec)
    if missing or extra:
        raise RuntimeError(
            "listing tools and renders disagree: "
            + "; ".join(
                part for part in (
                    f"no render for {', '.join(missing)} (add one in images/render/tools.py)"
                    if missing else "",
                    f"renders the spec does not list: {', '.join(extra)}" if extra else "",
                ) if part
            )
        )


def _float(img: Image.Image) -> Floats:
    return np.asarray(img).astype(np.float32) / 255


# --- interior -------------------------------------------------------------------------
@listing_tool("add-furniture", category="interior", furniture=True)
def add_furniture(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    return _float(img)  # drawn by the furniture pass of render_stagepro


@listing_tool("ai-furniture-background", category="interior", name="AI Furniture Background")
def ai_furniture_background(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    blurred = img.filter(ImageFilter.GaussianBlur(6 + 6 * s))
    w, h = img.size
    blurred.paste(img.crop((w // 4, h // 4, 3 * w // 4, 3 * h // 4)), (w // 4, h // 4))
    return _float(blurred)


@listing_tool("furniture-eraser", category="interior")
def furniture_eraser(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    return _float(_smooth_region(img, (0.15, 0.45, 0.85, 0.95), int(6 + 14 * s), 0.6 * s,
                                 None, 0.4 * s))


@listing_tool("room-declutter", category="interior")
def room_declutter(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    return _float(_smooth_region(img, (0.05, 0.5, 0.95, 0.98), int(6 + 14 * s), 0.35 * s,
                                 None, 0.4 * s))


@listing_tool("refrigerator-cleanup", category="interior")
def refrigerator_cleanup(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    return _float(_smooth_region(img, (0.55, 0.2, 0.9, 0.8), int(6 + 14 * s), 0.3 * s,
                                 (0.93, 0.93, 0.91), 0.4 * s))


@listing_tool("material-overlay", category="interior")
def material_overlay(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    arr = _float(img)
    h, w = arr.shape[:2]
    y, _ = _grid(h, w)
    floor = np.broadcast_to(y > 0.62, (h, w))
    grain = _wave(1, w, 90, 0)
    wood = np.stack([0.55 + 0.08 * grain, 0.38 + 0.06 * grain, 0.22 + 0 * grain], -1)
    return np.where(floor[..., None], arr * (1 - s) + wood.astype(np.float32) * s, arr)


@listing_tool("fireplace-ignition", category="interior")
def fireplace_ignition(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    arr = _float(img)
    h, w = arr.shape[:2]
    fire = _glow(h, w, 0.25, 0.7, 0.08, 0.06)
    return arr + (fire * s)[..., None] * np.array([1.0, 0.45, 0.05], np.float32)


@listing_tool("tv-screen-replacement", category="interior", name="TV Screen Replacement")
def tv_screen_replacement(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    arr = _float(img)
    h, w = arr.shape[:2]
    y, x = _grid(h, w)
    screen = _rect(y, x, 0.35, 0.55, 0.55, 0.85)
    r, g, b = np.broadcast_arrays(0.2 + 0.6 * x, 0.3 + 0.4 * (1 - y), 0.8 - 0.3 * x)
    grad = np.stack([r, g, b], -1).astype(np.float32)
    bezel = _rect(y, x, 0.33, 0.57, 0.54, 0.86) & ~screen
    arr = np.where(bezel[..., None], np.float32(0.05), arr)
    return np.where(screen[..., None], arr * (1 - s) + grad * s, arr)


# --- exterior -------------------------------------------------------------------------
@listing_tool("sky-enhancement", category="exterior")
def sky_enhancement(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    arr = _float(img)
    h, w = arr.shape[:2]
    y, _ = _grid(h, w)
    m = _band_above(y, w, 0.42, 0.12)
    return arr * (1 - s * m[..., None]) + _sky(y, False) * (s * m[..., None])


def _lawn(arr: Floats, s: float) -> Floats:
    h, w = arr.shape[:2]
    y, _ = _grid(h, w)
    m = _band_below(y, w, 0.62, 0.1)
    tex = 0.04 * _wave(h, w, 300, 40)
    green = np.stack([0.22 + tex, 0.55 + tex, 0.18 + 0 * tex], -1).astype(np.float32)
    return arr * (1 - s * m[..., None]) + green * (s * m[..., None])


@listing_tool("lawn-replacement", category="exterior")
def lawn_replacement(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    return _lawn(_float(img), s)


@listing_tool("landscape-design", category="exterior")
def landscape_design(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    arr = _lawn(_float(img), s)
    h, w = arr.shape[:2]
    y, x = _grid(h, w)
    r0, r1 = int(0.64 * h), int(0.76 * h)
    ys, xs = y[r0:r1], x
    band = arr[r0:r1]
    bushes = np.zeros((r1 - r0, w), bool)
    for i in range(6):
        cx = 0.1 + 0.16 * i + float(rng.uniform(-0.03, 0.03))
        bushes |= ((xs - cx) / 0.05) ** 2 + ((ys - 0.7) / 0.05) ** 2 < 1
    arr[r0:r1] = _blend(band, bushes, (0.12, 0.35, 0.12), 0.9 * s)
    return arr


@listing_tool("changing-seasons", category="exterior")
def changing_seasons(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    arr = _float(img)
    greenish = (arr[..., 1] > arr[..., 0]) & (arr[..., 1] > arr[..., 2])
    arr = _blend(arr, greenish, (0.85, 0.5, 0.15), 0.7 * s)
    # autumn light: a warm grade over the whole frame
    return arr * np.array([1 + 0.12 * s, 1 - 0.02 * s, 1 - 0.18 * s], np.float32)


@listing_tool("rain-to-shine", category="exterior")
def rain_to_shine(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    arr = _float(img)
    h, w = arr.shape[:2]
    y, _ = _grid(h, w)
    arr = np.clip((arr - 0.5) * (1 + 0.4 * s) + 0.5 + 0.1 * s, 0, 1)
    m = _band_above(y, w, 0.4, 0.1)
    return arr * (1 - 0.6 * s * m[..., None]) + _sky(y, False) * (0.6 * s * m[..., None])


@listing_tool("driveway-leaf-removal", category="exterior")
def driveway_leaf_removal(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    return _float(_smooth_region(img, (0.05, 0.74, 0.95, 1.0), int(8 + 12 * s), 0.2 * s,
                                 (0.66, 0.64, 0.6), 0.45 * s))


@listing_tool("driveway-car-removal", category="exterior")
def driveway_car_removal(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    return _float(_smooth_region(img, (0.3, 0.7, 0.95, 1.0), int(10 + 14 * s), 0.4 * s,
                                 (0.42, 0.42, 0.43), 0.55 * s))


# --- pool -----------------------------------------------------------------------------
@listing_tool("add-water-to-empty-pool", category="pool")
def add_water_to_empty_pool(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    # fill the pool basin (lower-centre ellipse) with deep, rippled turquoise water
    arr = _float(img)
    h, w = arr.shape[:2]
    y, x = _grid(h, w)
    pool = ((y - 0.86) / 0.09) ** 2 + ((x - 0.5) / 0.32) ** 2 < 1
    ripple = 0.05 * _wave(h, w, 120, 60)
    water = np.stack([0.1 + ripple, 0.55 + ripple, 0.8 + ripple], -1)
    k = min(1.0, 0.4 + s)
    return np.where(pool[..., None], arr * (1 - k) + water * k, arr)


@listing_tool("pool-water-enhancement", category="pool")
def pool_water_enhancement(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    # existing water (bluish pixels in the lower half) becomes clearer and more cyan, with
    # caustic highlights; the rest of the lower frame gets a slight clarity boost
    arr = _float(img)
    h, w = arr.shape[:2]
    y, _ = _grid(h, w)
    water = (arr[..., 2] > arr[..., 0] + 0.15) & (y > 0.72)
    caustic = 0.08 * np.maximum(0, _wave(1, w, 220, 0) * _wave(h, w, 40, 180))
    cyan = np.stack([0.05 + caustic, 0.78 + caustic, 0.92 + caustic], -1)
    m = (water * (0.5 + 0.5 * s)).astype(np.float32)[..., None]
    arr = arr * (1 - m) + cyan * m
    return np.where((y > 0.5)[..., None], np.clip((arr - 0.5) * (1 + 0.25 * s) + 0.5, 0, 1), arr)


# --- twilight -------------------------------------------------------------------------
def _twilight(img: Image.Image, s: float, k: float) -> Floats:
    arr = _float(img)
    h, w = arr.shape[:2]
    y, _ = _grid(h, w)
    lum = _lum(arr)
    m = _band_above(y, w, 0.42, 0.12)
    arr = arr * (1 - 0.45 * k * s)
    arr = arr * (1 - s * m[..., None]) + _sky(y, True) * (s * m[..., None])
    return _blend(arr, _window_glow(arr, lum, y), (1.0, 0.78, 0.4), 0.8 * k * s)


@listing_tool("virtual-twilight", category="twilight")
def virtual_twilight(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    return _twilight(img, s, 1.0)


@listing_tool("natural-twilight", category="twilight")
def natural_twilight(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    return _twilight(img, s, 0.6)


@listing_tool("night-to-day", category="twilight")
def night_to_day(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    return _gamma_table(1 - 0.45 * s)[np.asarray(img)]


# --- other ----------------------------------------------------------------------------
@listing_tool("ai-floorplan-visualizer", category="other", name="AI Floorplan Visualizer")
def ai_floorplan_visualizer(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    arr = _float(img)
    h, w = arr.shape[:2]
    y, x = _grid(h, w)
    g = np.round(_lum(arr) * 4) / 4
    arr = np.repeat(g[..., None], 3, axis=2)
    lines = (np.mod(x * 16, 1.0) < 0.02) | (np.mod(y * 12, 1.0) < 0.02)
    return _blend(arr, np.broadcast_to(lines, (h, w)), (0.1, 0.2, 0.5), 0.8)


@listing_tool("social-media-poster", category="other")
def social_media_poster(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    arr = _float(img)
    h, w = arr.shape[:2]
    y, x = _grid(h, w)
    band = np.broadcast_to(y > 0.82, (h, w))
    arr = _blend(arr, band, (0.1, 0.1, 0.12), 0.85)
    frame = (x < 0.02) | (x > 0.98) | (y < 0.02) | (y > 0.98)
    return _blend(arr, frame, (0.95, 0.8, 0.2), 1.0)


@listing_tool("sketch-to-render", category="other")
def sketch_to_render(img: Image.Image, s: float, rng: np.random.Generator) -> Floats:
    arr = _float(img)
    lum = _lum(arr)
    edges = (
        np.asarray(
            Image.fromarray((lum * 255).astype(np.uint8)).filter(ImageFilter.FIND_EDGES),
            np.float32,
        )
        / 255
    )
    arr = np.round(arr * 5) / 5
    return arr * (1 - edges[..., None] * 0.8)
