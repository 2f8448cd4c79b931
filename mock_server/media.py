"""The one media-type parser: what a ``Content-Type`` names, lower case and without its
parameters (``application/json; charset=utf-8`` → ``application/json``). A leaf (nothing
imported), so the mock's body reader (``spec.body``) and the proxy's parts (the exchange's
capture limit, verdicts, the recording's two formats, replay, drift) read a media type the
same way."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def media_type(value: str | None) -> str:
    """The media type a ``Content-Type`` value names (``""`` for none)."""
    return (value or "").split(";", 1)[0].strip().lower()


def media_type_of(headers: Iterable[Sequence[str]], default: str = "") -> str:
    """The media type of the first ``Content-Type`` among ``(name, value)`` pairs (a
    recording's headers); ``default`` when there is none."""
    for name, value in headers:
        if str(name).lower() == "content-type":
            return media_type(str(value))
    return default
