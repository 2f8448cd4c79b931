"""The vendors' references, read where the workspace keeps them (never copied into this repo).

They live in ``shared/seeds/`` beside the checkout (``000_*`` StagePro, ``001_*`` Stager AI);
``STAGEMOCK_VENDOR_REFERENCES`` names another folder. Tests that replay the references'
examples skip, saying why, when neither is there (a clone outside the workspace).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PREFIX = {"stagepro": "000_", "stagerai": "001_"}


def reference(api: str) -> str:
    folder = Path(os.environ.get("STAGEMOCK_VENDOR_REFERENCES") or ROOT.parent / "shared" / "seeds")
    found = sorted(folder.glob(f"{PREFIX[api]}*.txt")) if folder.is_dir() else []
    if not found:
        pytest.skip(f"the vendor's {api} reference is not in {folder} "
                    "(set STAGEMOCK_VENDOR_REFERENCES to the folder of the references)")
    return found[0].read_text()
