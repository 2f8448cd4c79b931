"""Decode uploads safely: real decoding with Pillow, formats checked, decompression bombs
refused from the header before any pixel is loaded."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from ..limits import IMAGE_MAX_PIXELS

ALLOWED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


#: Every ``ImageDecodeError.code`` (each API turns each into its own error).
CODES = ("invalid_image", "image_too_large", "unsupported_format")


class ImageDecodeError(Exception):
    def __init__(self, code: str, message: str) -> None:
        if code not in CODES:
            raise ValueError(f"image decode code {code!r} is not one of CODES")
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[type[ImageDecodeError], tuple[str, str]]:
        # Raised in an image worker process and pickled back: without this, unpickling
        # fails (two arguments) and the pool breaks instead of the group failing.
        return type(self), (self.code, str(self))


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    format: str
    content_type: str


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageDecodeError("invalid_image", "the file is not a decodable image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageDecodeError("image_too_large", "the image has too many pixels") from None
    width, height = img.size
    if width * height > max_pixels:
        raise ImageDecodeError(
            "image_too_large",
            f"the image is {width}×{height} ({width * height} pixels); the limit is {max_pixels}",
        )
    return img


def decode_upload(data: bytes, *, max_pixels: int = IMAGE_MAX_PIXELS) -> ImageInfo:
    img = _open(data, max_pixels)
    fmt = (img.format or "").upper()
    if fmt not in ALLOWED:
        raise ImageDecodeError("unsupported_format", f"{fmt or 'this'} images are not accepted")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning):
        raise ImageDecodeError("invalid_image", "the image is truncated or corrupt") from None
    return ImageInfo(img.width, img.height, fmt, ALLOWED[fmt])


def load_rgb(data: bytes, *, max_side: int = 4096) -> Image.Image:
    img = _open(data, IMAGE_MAX_PIXELS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = ImageOps.exif_transpose(img).convert("RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning):
        raise ImageDecodeError("invalid_image", "the image is truncated or corrupt") from None
    if max(img.size) > max_side:
        scale = max_side / max(img.size)
        img = img.resize(
            (max(1, round(img.width * scale)), max(1, round(img.height * scale))),
            Image.Resampling.BILINEAR,
        )
    return img
