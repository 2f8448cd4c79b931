from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from mock_server.images.hdr import mean_luminance, merge_brackets

from .conftest import pixels, read

NAMES = ["ev-2", "ev0", "ev+2"]


@pytest.fixture(scope="module")
def brackets() -> list[bytes]:
    return [read(f"brackets/living_room_{n}.jpg") for n in NAMES]


@pytest.fixture(scope="module")
def merged(brackets: list[bytes]) -> tuple[bytes, int, int]:
    return merge_brackets(brackets)


def test_merge_is_jpeg_between_brackets(brackets: list[bytes], merged: tuple) -> None:
    data, w, h = merged
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.format == "JPEG" and img.size == (w, h) == (1024, 683)
    lums = [mean_luminance(b) for b in brackets]
    assert lums == sorted(lums)
    assert min(lums) < mean_luminance(data) < max(lums)


def test_merge_is_deterministic_and_order_insensitive_in_size(
    brackets: list[bytes], merged: tuple
) -> None:
    assert merge_brackets(brackets) == merged
    assert merge_brackets(list(reversed(brackets)))[1:] == merged[1:]


def test_brackets_resized_to_first(brackets: list[bytes]) -> None:
    small = Image.open(io.BytesIO(brackets[2])).resize((512, 341))
    buf = io.BytesIO()
    small.save(buf, "JPEG")
    _, w, h = merge_brackets([brackets[0], brackets[1], buf.getvalue()])
    assert (w, h) == (1024, 683)


@pytest.mark.parametrize(
    "flag", ["lens_correction", "perspective_correction", "photographer_removal"]
)
def test_each_flag_changes_output(brackets: list[bytes], merged: tuple, flag: str) -> None:
    data, w, h = merge_brackets(brackets, **{flag: True})
    assert (w, h) == merged[1:]
    assert np.abs(pixels(data) - pixels(merged[0])).mean() > 0.3


def test_all_flags_together(brackets: list[bytes]) -> None:
    data, w, h = merge_brackets(
        brackets, lens_correction=True, perspective_correction=True, photographer_removal=True
    )
    assert Image.open(io.BytesIO(data)).size == (w, h)


def test_merge_requires_brackets() -> None:
    with pytest.raises(ValueError):
        merge_brackets([])
