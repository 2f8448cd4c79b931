from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from mock_server.images.render import (
    guess_kind,
    render_stagepro,
    render_stager,
    synthetic_photo,
)
from mock_server.spec.schema_walk import enum_at, request_schema
from tests.conftest import ROOT

from .conftest import pixels

SPEC = yaml.safe_load((ROOT / "openapi" / "stagepro.yaml").read_text())
JOB = request_schema(SPEC, "/jobs", "post")
#: Read from the spec, never listed by hand: a new tool is covered by every test below.
JOB_TYPES = [t for t in enum_at(SPEC, JOB, "type") if t != "listing-tool"]
TOOLS = list(enum_at(SPEC, JOB, "input.listing_tool"))
RATIOS = {
    "1:1": 1,
    "4:3": 4 / 3,
    "3:2": 1.5,
    "16:9": 16 / 9,
    "9:16": 9 / 16,
    "2:3": 2 / 3,
    "3:4": 3 / 4,
}


def _is_jpeg(data: bytes) -> Image.Image:
    assert data[:3] == b"\xff\xd8\xff"
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.format == "JPEG"
    assert not img.info.get("exif")
    return img


def _is_png(data: bytes) -> Image.Image:
    """Stager AI's edits answer PNGs, as the reference's example result URLs."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.format == "PNG" and img.mode == "RGB"
    return img


def test_guess_kind() -> None:
    assert guess_kind("https://x.test/backyard-pool.jpg") == "pool"
    assert guess_kind("https://x.test/front-of-house.jpg") == "exterior"
    assert guess_kind("https://x.test/TWILIGHT.jpg") == "exterior"
    assert guess_kind("https://x.test/kitchen.jpg") == "interior"


@given(
    seed=st.text(max_size=40),
    kind=st.sampled_from(["interior", "exterior", "pool", "auto"]),
    w=st.integers(16, 400),
    h=st.integers(16, 400),
)
@settings(max_examples=20, deadline=None)
def test_synthetic_photo_deterministic(seed: str, kind: str, w: int, h: int) -> None:
    a = synthetic_photo(seed, kind, (w, h))
    b = synthetic_photo(seed, kind, (w, h))
    assert a.size == (w, h) and a.mode == "RGB"
    assert a.tobytes() == b.tobytes()


def test_synthetic_photo_kinds_differ() -> None:
    imgs = [synthetic_photo("s", k, (200, 150)).tobytes() for k in ("interior", "exterior", "pool")]
    assert len(set(imgs)) == 3
    assert synthetic_photo("a").tobytes() != synthetic_photo("b").tobytes()


@pytest.fixture(scope="module")
def all_outputs(interior: Image.Image, exterior: Image.Image) -> dict[str, np.ndarray]:
    out = {}
    for jt in JOB_TYPES:
        data, w, h = render_stagepro(interior, job_type=jt, style="modern", room_type="living-room")
        img = _is_jpeg(data)
        assert img.size == (w, h) == interior.size
        out[jt] = pixels(data)
    for tool in TOOLS:
        src = (
            exterior
            if any(
                k in tool
                for k in ("lawn", "sky", "pool", "driveway", "twil", "landscape", "season", "rain")
            )
            else interior
        )
        data, w, h = render_stagepro(src, job_type="listing-tool", listing_tool=tool)
        img = _is_jpeg(data)
        assert img.size == (w, h) == src.size
        arr = pixels(data)
        ref = np.asarray(src, np.float32)
        assert np.abs(arr - ref).mean() > 1.0, f"{tool} is not visibly different from the input"
        out[tool] = arr
    return out


def test_every_output_valid_and_changed(all_outputs: dict[str, np.ndarray]) -> None:
    assert len(all_outputs) == len(JOB_TYPES) + len(TOOLS)


def test_outputs_mutually_different(all_outputs: dict[str, np.ndarray]) -> None:
    for (a, x), (b, y) in itertools.combinations(all_outputs.items(), 2):
        if x.shape == y.shape:
            assert np.abs(x - y).mean() > 0.5, f"{a} and {b} look the same"


def test_variation_and_determinism(interior: Image.Image) -> None:
    kw = dict(job_type="virtual-stage", style="scandinavian", room_type="bedroom", creativity=4)
    a0 = render_stagepro(interior, **kw, variation=0)[0]
    a1 = render_stagepro(interior, **kw, variation=1)[0]
    assert a0 != a1
    assert a0 == render_stagepro(interior, **kw, variation=0)[0]
    assert a1 == render_stagepro(interior, **kw, variation=1)[0]


def test_style_room_creativity_change_output(interior: Image.Image) -> None:
    base = dict(job_type="virtual-stage", style="modern", room_type="living-room", creativity=3)
    ref = render_stagepro(interior, **base)[0]
    for change in ({"style": "luxury"}, {"room_type": "bedroom"}, {"creativity": 5}):
        assert render_stagepro(interior, **{**base, **change})[0] != ref


@pytest.mark.parametrize("ratio", list(RATIOS))
def test_aspect_ratio(interior: Image.Image, ratio: str) -> None:
    data, w, h = render_stagepro(interior, job_type="virtual-stage", aspect_ratio=ratio)
    img = _is_jpeg(data)
    assert img.size == (w, h)
    assert abs(w / h - RATIOS[ratio]) / RATIOS[ratio] < 0.01
    assert w == interior.width or h == interior.height


def test_original_ratio_and_png(interior: Image.Image) -> None:
    data, w, h = render_stagepro(
        interior, job_type="edit", aspect_ratio="original", prompt="brighter", out_format="PNG"
    )
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG" and img.size == (w, h) == interior.size


@pytest.mark.parametrize(("res", "edge"), [("low", 768), ("high", 1920), ("superHigh", 3072)])
def test_stager_resolution(exterior: Image.Image, res: str, edge: int) -> None:
    data, w, h = render_stager(
        exterior, operation="sky-replace", resolution=res, options={"skyType": "blue"}
    )
    img = _is_png(data)
    assert img.size == (w, h) and max(w, h) == edge
    assert abs(w / h - 1024 / 768) < 0.01


def _stager(src: Image.Image, op: str, **options: object) -> np.ndarray:
    data, _, _ = render_stager(src, operation=op, resolution="low", options=options)
    _is_png(data)
    return pixels(data)


def test_stager_stage(interior: Image.Image) -> None:
    src = np.asarray(interior.resize((768, 576)), np.float32)
    auto = _stager(
        interior, "stage", roomType="LIVING_ROOM", roomStyle="modern", actionType="autoStaging"
    )
    subtle = _stager(
        interior, "stage", roomType="LIVING_ROOM", roomStyle="modern", actionType="subtleStaging"
    )
    assert np.abs(auto - src).mean() > np.abs(subtle - src).mean() > 0.5
    white = _stager(
        interior, "stage", roomType="LIVING_ROOM", roomStyle="modern", colorTypes=["classicWhite"]
    )
    navy = _stager(
        interior, "stage", roomType="LIVING_ROOM", roomStyle="modern", colorTypes=["navyBlue"]
    )
    assert white.mean() > navy.mean()
    removed = _stager(
        interior, "stage", roomType="BEDROOM", roomStyle="japandi", removeFurniture=True
    )
    assert removed.shape == auto.shape


def test_stager_sky(exterior: Image.Image) -> None:
    src = np.asarray(exterior.resize((768, 576)), np.float32)
    top = slice(0, 576 // 4)
    blue = _stager(exterior, "sky-replace", skyType="blue", skySubType="dramatic")
    dusk = _stager(exterior, "sky-replace", skyType="twilight", skySubType="dramatic")
    assert blue[top, :, 2].mean() > src[top, :, 2].mean()

    def rb(a: np.ndarray) -> float:
        return float(a[top, :, 0].mean() / a[top, :, 2].mean())

    assert rb(dusk) > rb(blue)
    assert dusk.mean() < blue.mean()
    change = [
        np.abs(
            _stager(exterior, "sky-replace", skyType="blue", skySubType=k)[top] - src[top]
        ).mean()
        for k in ("subtle", "middle", "dramatic")
    ]
    assert change[0] < change[1] < change[2]


def test_stager_lawn(exterior: Image.Image) -> None:
    bottom = slice(576 * 2 // 3, 576)

    def green(a: np.ndarray) -> float:
        b = a[bottom]
        return float(b[..., 1].mean() - (b[..., 0].mean() + b[..., 2].mean()) / 2)

    light = _stager(exterior, "lawn-replace", lawnType="light")
    medium = _stager(exterior, "lawn-replace", lawnType="medium")
    strong = _stager(exterior, "lawn-replace", lawnType="strong")
    assert green(light) < green(medium) < green(strong)


def test_stager_deterministic_and_variation(exterior: Image.Image) -> None:
    opts = {"roomType": "BEDROOM", "roomStyle": "rustic"}
    a = render_stager(exterior, operation="stage", resolution="low", options=opts)
    assert a == render_stager(exterior, operation="stage", resolution="low", options=dict(opts))
    b = render_stager(exterior, operation="stage", resolution="low", options=opts, variation=1)
    assert a[0] != b[0]


def test_every_listing_tool_of_the_spec_has_a_render_and_no_render_is_extra():
    from mock_server.images.render import TOOLS as RENDERS
    from mock_server.images.render import check_against

    check_against(TOOLS)  # raises naming the values when they disagree
    assert set(RENDERS) == set(TOOLS)
    with pytest.raises(RuntimeError, match="no render for hot-tub-filler"):
        check_against([*TOOLS, "hot-tub-filler"])
    with pytest.raises(RuntimeError, match="renders the spec does not list: sky-enhancement"):
        check_against([t for t in TOOLS if t != "sky-enhancement"])
