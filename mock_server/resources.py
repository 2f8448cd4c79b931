"""Where the package's data lives: the three specs and the fixtures (accounts, prices,
sample photos and HDR brackets).

An installed wheel carries them inside the package, under ``mock_server/_data/`` (the build
maps the repository's top-level ``openapi/`` and ``fixtures/`` there: see ``pyproject.toml``),
and they are found through ``importlib.resources``. A development checkout (an editable
install, or ``PYTHONPATH=.``) has no ``_data/``: the top-level folders are the single source,
so the lookup falls back to them.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

#: The data folders the package reads at run time.
NAMES = ("openapi", "fixtures")


@cache
def data_dir(name: str) -> Path:
    """The folder ``openapi`` or ``fixtures``, wherever this installation keeps it."""
    if name not in NAMES:
        raise ValueError(f"unknown data folder {name!r}: one of {', '.join(NAMES)}")
    packaged = files("mock_server") / "_data" / name
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"stagemock's {name}/ folder is missing from this installation ({packaged}); "
        "reinstall the package"
    )


def spec_path(api: str) -> Path:
    """``openapi/<api>.yaml`` for ``stagepro``, ``stagerai`` or ``admin``."""
    return data_dir("openapi") / f"{api}.yaml"


def fixture_path(*parts: str) -> Path:
    """A file under ``fixtures/``, e.g. ``fixture_path("photos", "interior.jpg")`` (no
    arguments: the folder itself). Public as ``mock_server.fixture_path``."""
    return data_dir("fixtures").joinpath(*parts)
