"""The media type of a recorded exchange's headers: a leaf (the standard library only) shared
by the recording's two formats, ``record`` (JSON Lines) and ``har`` / ``har_record`` (HAR), so
that neither format's module imports the other's."""

from __future__ import annotations

from collections.abc import Sequence


def media_type(headers: Sequence[Sequence[str]]) -> str:
    """The media type a ``Content-Type`` header names (lower case, no parameters)."""
    for k, v in headers:
        if k.lower() == "content-type":
            return v.split(";", 1)[0].strip().lower()
    return ""
