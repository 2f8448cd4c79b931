from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from mock_server.images.decode import ImageDecodeError, ImageInfo, decode_upload, load_rgb

from .conftest import read


@pytest.mark.parametrize("name", ["interior", "exterior", "pool"])
def test_decode_fixture_photos(name: str) -> None:
    data = read(f"photos/{name}.jpg")
    assert len(data) < 200_000
    info = decode_upload(data)
    assert info == ImageInfo(1024, 768, "JPEG", "image/jpeg")


@pytest.mark.parametrize("name", ["ev-2", "ev0", "ev+2"])
def test_decode_fixture_brackets(name: str) -> None:
    info = decode_upload(read(f"brackets/living_room_{name}.jpg"))
    assert (info.width, info.height, info.format) == (1024, 683, "JPEG")


@pytest.mark.parametrize(("fmt", "ctype"), [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_decode_png_and_webp(fmt: str, ctype: str) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 20, 30)).save(buf, fmt)
    assert decode_upload(buf.getvalue()) == ImageInfo(40, 30, fmt, ctype)


def _code(data: bytes, **kw: int) -> str:
    with pytest.raises(ImageDecodeError) as exc:
        decode_upload(data, **kw)
    assert str(exc.value)
    return exc.value.code


def test_non_image_refused() -> None:
    assert _code(b"this is not an image at all") == "invalid_image"
    assert _code(b"") == "invalid_image"


def test_truncated_jpeg_refused() -> None:
    data = read("photos/interior.jpg")
    assert _code(data[: len(data) // 3]) == "invalid_image"


def test_unsupported_format_refused() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "GIF")
    assert _code(buf.getvalue()) == "unsupported_format"
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "BMP")
    assert _code(buf.getvalue()) == "unsupported_format"


def _bomb_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bomb_refused_from_header() -> None:
    bomb = _bomb_png(100_000, 100_000)
    assert len(bomb) < 200
    before = Image.MAX_IMAGE_PIXELS
    assert _code(bomb) == "image_too_large"
    assert Image.MAX_IMAGE_PIXELS == before  # global Pillow state untouched
    with pytest.raises(ImageDecodeError) as exc:
        load_rgb(bomb)
    assert exc.value.code == "image_too_large"


def test_max_pixels_parameter() -> None:
    assert _code(read("photos/interior.jpg"), max_pixels=1000) == "image_too_large"


def test_load_rgb_downscales_and_transposes() -> None:
    buf = io.BytesIO()
    img = Image.new("RGB", (300, 100), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° CW on display
    img.save(buf, "JPEG", exif=exif.tobytes())
    out = load_rgb(buf.getvalue(), max_side=150)
    assert out.mode == "RGB"
    assert out.size == (50, 150)


def test_decode_error_survives_the_trip_back_from_a_worker_process():
    """Raised in an image worker, it is pickled back: code and message must survive (a
    bracket that is no image fails its group instead of breaking the process pool)."""
    import pickle

    err = pickle.loads(pickle.dumps(ImageDecodeError("invalid_image", "not an image")))
    assert isinstance(err, ImageDecodeError)
    assert (err.code, str(err)) == ("invalid_image", "not an image")
