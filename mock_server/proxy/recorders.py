"""Which writer ``--record FILE`` gets (``stagemock proxy`` and ``stagemock serve``): HAR 1.2
for a ``.har`` file (``har_record``), else the JSON Lines recording (``record``).

It sits above both writers: ``HarRecorder`` extends ``record.Recorder``, so the choice cannot
live in ``record`` without an import cycle (``tests/test_imports.py`` refuses one).
"""

from __future__ import annotations

from pathlib import Path

from .har_record import HarRecorder
from .record import Recorder, is_har


def recorder(path: str | Path, api: str, upstream: str, base_path: str) -> Recorder:
    """The writer for ``path``: a ``HarRecorder`` for a ``.har`` file, else a ``Recorder``."""
    if is_har(path):
        return HarRecorder(path, api, upstream, base_path)
    return Recorder(path, api, upstream, base_path)
