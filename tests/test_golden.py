"""Golden bytes: the same stagemock version, seed and requests give the same bytes on any
CPU. The scripted session of ``tests/golden/session.py`` runs in two subprocesses — once with
NumPy's SIMD kernels as dispatched on this machine, once with every dispatch target above the
baseline switched off (``NPY_DISABLE_CPU_FEATURES``, as on a CPU without AVX2) — and every
response body and output image hash must be equal in both and equal to the committed
``tests/golden/hashes.json``.

Re-pin after a change that legitimately alters bytes:
``.venv/bin/python -m tests.golden.session --update``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PINNED = ROOT / "tests" / "golden" / "hashes.json"
REPIN = ".venv/bin/python -m tests.golden.session --update"


def _dispatch_targets() -> list[str]:
    from numpy._core._multiarray_umath import __cpu_dispatch__

    return list(__cpu_dispatch__)


def _session(extra_env: dict[str, str]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    env.update(extra_env)
    proc = subprocess.run(
        [sys.executable, "-m", "tests.golden.session"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def runs() -> tuple[dict[str, Any], dict[str, Any]]:
    targets = _dispatch_targets()
    with ThreadPoolExecutor(2) as pool:
        native = pool.submit(_session, {})
        baseline = pool.submit(_session, {"NPY_DISABLE_CPU_FEATURES": " ".join(targets)})
        return native.result(), baseline.result()


def test_simd_switch_takes_effect(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    native, baseline = runs
    assert baseline["cpu"]["enabled"] == [], "NPY_DISABLE_CPU_FEATURES did not take effect"
    if not native["cpu"]["enabled"]:
        pytest.skip("this CPU has no NumPy dispatch target above the baseline to compare with")


def test_same_bytes_with_and_without_simd(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    native, baseline = runs
    assert native["hashes"].keys() == baseline["hashes"].keys()
    differ = [k for k, v in native["hashes"].items() if baseline["hashes"][k] != v]
    assert not differ, f"bytes depend on NumPy's SIMD kernels: {differ}"


def test_bytes_match_pinned_hashes(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    native, _ = runs
    pinned = json.loads(PINNED.read_text())
    got = native["hashes"]
    missing, extra = sorted(pinned.keys() - got.keys()), sorted(got.keys() - pinned.keys())
    changed = sorted(k for k in pinned.keys() & got.keys() if pinned[k] != got[k])
    assert not (missing or extra or changed), (
        f"golden bytes changed (changed {changed}, missing {missing}, new {extra}); if that is "
        f"intended, re-pin with `{REPIN}` and commit tests/golden/hashes.json"
    )


def test_session_covers_the_catalogue(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    from tests.golden.session import _enum

    labels = set(runs[0]["hashes"])
    for jt in _enum("stagepro.yaml", "JobType"):
        assert any(label.startswith(f"sp.image.{jt}") for label in labels) or jt == "listing-tool"
    for tool in _enum("stagepro.yaml", "ListingTool"):
        assert f"sp.image.tool.{tool}.0" in labels, tool
    assert any(label.startswith("sp.batch.image.") for label in labels)
    assert "sp.image.virtual-stage.upload.regenerated.0" in labels
    for opt, enum in (("style", "RoomStyle"), ("room", "RoomType"), ("resolution", "Resolution")):
        for value in _enum("stagerai.yaml", enum):
            assert f"sa.image.stage.{opt}.{value}.0" in labels, (opt, value)
    for lawn in _enum("stagerai.yaml", "LawnType"):
        assert f"sa.image.lawn.{lawn}.0" in labels
    for sky in _enum("stagerai.yaml", "SkyType"):
        for sub in _enum("stagerai.yaml", "SkySubType"):
            assert f"sa.image.sky.{sky}.{sub}.0" in labels
    assert sum(label.startswith("sa.hdr.url.") for label in labels) == 7
    assert "sa.hdr.image" in labels


def test_every_tool_category_has_a_source_photo() -> None:
    """A listing tool is shown the sample photo of its registered category: a new category
    must say which (``PHOTO_OF_CATEGORY``) before the session can run."""
    from mock_server.images.render.tools import CATEGORIES
    from tests.golden.session import PHOTO_OF_CATEGORY, PHOTOS

    assert set(PHOTO_OF_CATEGORY) == set(CATEGORIES)
    for photo in PHOTO_OF_CATEGORY.values():
        assert (PHOTOS / f"{photo}.jpg").is_file(), photo


def test_labels_name_what_they_hash() -> None:
    """No label is a running count (``clock.advance.53``): each names its operation."""
    import re

    pinned = json.loads(PINNED.read_text())
    counted = [k for k in pinned if re.fullmatch(r"[a-z.]+\.\d{2,}", k)]
    assert not counted, counted
