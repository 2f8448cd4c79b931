"""Image work as module-level functions of plain values (bytes, strings, dicts), so that it
can run in a worker process: pickled by reference, no shared state, same bytes anywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

from ..jsontypes import JsonObject
from .decode import load_rgb
from .render import render_stagepro, render_stager, synthetic_photo


class StageProParams(TypedDict):
    """``render_stagepro``'s keyword arguments for one job (from its input)."""

    job_type: str
    listing_tool: str | None
    style: str | None
    room_type: str | None
    creativity: int
    aspect_ratio: str | None
    variation: int
    prompt: str | None


def stagepro_output(
    data: bytes | None,
    url: str | None,
    fetch: Callable[[str], bytes | None] | None,
    fallback: str,
    params: StageProParams,
) -> tuple[bytes, int, int]:
    """A StagePro job's output: from the input's bytes if the mock holds them, else fetched
    (``--fetch-remote``), else a deterministic synthetic photo named by ``fallback``."""
    source = None
    if data is not None:
        source = load_rgb(data, max_side=2048)
    elif url and fetch is not None:
        remote = fetch(url)
        if remote:
            try:
                source = load_rgb(remote, max_side=2048)
            except Exception:  # noqa: BLE001 - not an image: fall back to synthetic
                source = None
    if source is None:
        source = synthetic_photo(fallback, "auto")
    return render_stagepro(source, **params)


def stager_edit(
    data: bytes, operation: str, resolution: str, options: JsonObject
) -> tuple[bytes, int, int]:
    """One Stager AI edit of an uploaded image."""
    return render_stager(
        load_rgb(data, max_side=3072), operation=operation, resolution=resolution,
        options=options,
    )
