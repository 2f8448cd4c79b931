"""Output images: deterministic synthetic photos for remote URLs, and the visible effect of
every StagePro job type and listing tool and of every Stager AI edit.

- ``primitives``: seeded randomness, exact tables, masks, blends, encoding (same bytes on any
  CPU: see its docstring);
- ``synthetic``: synthetic listing photos;
- ``furniture``: furniture drawn into a room, and the emptied room;
- ``tools``: the listing-tool registry (``@listing_tool``), one render per spec value;
- ``stagepro`` / ``stagerai``: each API's renderer.
"""

from __future__ import annotations

from .furniture import STYLE_PALETTES
from .primitives import GEO_ONE, NOISE, _axis, _gamma_table, _glow, _wave
from .stagepro import RATIOS, render_stagepro
from .stagerai import COLOR_TYPES, STAGER_LONG_EDGE, render_stager
from .synthetic import guess_kind, synthetic_photo
from .tools import TOOLS, check_against, listing_tool

__all__ = [
    "COLOR_TYPES",
    "GEO_ONE",
    "NOISE",
    "RATIOS",
    "STAGER_LONG_EDGE",
    "STYLE_PALETTES",
    "TOOLS",
    "check_against",
    "guess_kind",
    "listing_tool",
    "render_stagepro",
    "render_stager",
    "synthetic_photo",
    "_axis",
    "_gamma_table",
    "_glow",
    "_wave",
]
