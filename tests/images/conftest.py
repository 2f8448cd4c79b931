from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def read(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), np.float32)


@pytest.fixture(scope="session")
def interior() -> Image.Image:
    from mock_server.images.decode import load_rgb

    return load_rgb(read("photos/interior.jpg"))


@pytest.fixture(scope="session")
def exterior() -> Image.Image:
    from mock_server.images.decode import load_rgb

    return load_rgb(read("photos/exterior.jpg"))
