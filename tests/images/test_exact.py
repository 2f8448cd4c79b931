"""The image code's guard rails for "same bytes on any CPU": no SIMD-dependent float math in
the source, lookup tables whose quantisation a last-bit libm difference cannot flip, and the
exactness of the HDR merge's float32 division."""

from __future__ import annotations

import ast
import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest

from mock_server.images import hdr, render

IMAGES = Path(hdr.__file__).resolve().parent
#: NumPy functions/methods whose last bits depend on the dispatched SIMD kernel (or libm):
#: transcendentals, and float reductions (pairwise summation follows the vector width).
FORBIDDEN = {
    "exp", "exp2", "expm1", "log", "log1p", "log2", "log10", "power", "float_power", "sqrt",
    "cbrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh",
    "tanh", "hypot", "mean", "average", "std", "var", "prod", "nanmean", "nansum", "dot",
    "matmul", "einsum", "tensordot", "inner", "vdot",
}


def _calls(path: Path) -> list[tuple[int, str, ast.Call]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            owner = base.id if isinstance(base, ast.Name) else ""
            out.append((node.lineno, f"{owner}.{node.func.attr}", node))
    return out


SOURCES = ["hdr.py", *sorted(f"render/{p.name}" for p in (IMAGES / "render").glob("*.py"))]


@pytest.mark.parametrize("name", SOURCES)
def test_no_simd_dependent_numpy_math(name: str) -> None:
    """Read from the source on purpose: a SIMD- or libm-dependent result differs only on
    another CPU, so no run on this machine can show it (the golden hashes agree here by
    construction); the rule is which calls the code may make."""
    bad = []
    for line, call, node in _calls(IMAGES / name):
        owner, attr = call.split(".", 1)
        if owner == "math":
            continue  # Python's scalar math, only ever inside tables that are quantised
        if attr in FORBIDDEN:
            bad.append(f"{name}:{line} {call}")
        if attr == "sum" and not any(
            k.arg == "dtype" and ast.unparse(k.value) == "np.int64" for k in node.keywords
        ):
            bad.append(f"{name}:{line} {call} without dtype=np.int64")
    assert not bad, bad


def _margin(exact: list[float], one: int) -> float:
    """How far (in quanta) the closest value lies from a rounding boundary."""
    return min(abs((v * one) % 1 - 0.5) for v in exact)


def test_tables_are_far_from_rounding_boundaries() -> None:
    # a libm that differs in the last bit moves a value by ~1e-16 relative: 1e-9 of a quantum
    # is a margin of millions of ulps
    assert _margin(hdr._well_exposed_exact(), 1 << hdr.WELL_BITS) > 1e-9
    noise = [NormalDist(0.0, 0.012).inv_cdf((i + 0.5) / 256) for i in range(256)]
    assert _margin(noise, 1 << 16) > 1e-9
    for creativity in range(1, 6):
        s = 0.35 + 0.13 * (creativity - 1)
        gamma = 1 - 0.45 * s
        assert _margin([(v / 255) ** gamma for v in range(256)], 65535) > 1e-9
    for n in (683, 768, 1024, 1365, 1536, 2048):
        t = render._axis(n).tolist()
        for f in (300, 40, 120, 60, 220, 180, 90):
            assert _margin([math.sin(f * v) for v in t] + [math.cos(f * v) for v in t],
                           render.GEO_ONE) > 1e-9
        for c, r in ((0.25, 0.08), (0.7, 0.06)):
            assert _margin([math.exp(-(((v - c) / r) ** 2)) for v in t], render.GEO_ONE) > 1e-9


def test_tables_match_their_functions() -> None:
    assert hdr.WELL[128] == round(4096 * math.exp(-((128 / 255 - 0.5) ** 2) / 0.08))
    gamma = render._gamma_table(0.5)
    assert gamma.dtype == np.float32 and abs(float(gamma[64]) - (64 / 255) ** 0.5) < 1e-4
    wave = render._wave(7, 9, 3.0, 2.0)
    y, x = np.meshgrid(render._axis(7).astype(np.float64), render._axis(9).astype(np.float64),
                       indexing="ij")
    assert np.abs(wave - np.sin(3 * x + 2 * y)).max() < 1e-3
    glow = render._glow(7, 9, 0.25, 0.7, 0.08, 0.06)
    assert np.abs(glow - np.exp(-(((x - 0.25) / 0.08) ** 2 + ((y - 0.7) / 0.06) ** 2))).max() < 1e-3
    assert abs(float(render.NOISE.astype(np.float64).std()) - 0.012) < 0.001


def test_merge_division_is_exact_in_float32() -> None:
    """round(acc / wsum) via truncated float32 division equals integer arithmetic for every
    weight sum the merge can reach (7 brackets × 255) at every integer boundary."""
    b = np.arange(1, 7 * 255 + 1, dtype=np.int64)[:, None]
    k = np.arange(0, 257, dtype=np.int64)[None, :]
    for num in (k * b - 1, k * b, k * b + b // 2, k * b + b - 1):
        num = np.clip(num, 0, None)
        exact = num // b
        got = (num.astype(np.float32) / b.astype(np.float32)).astype(np.int64)
        assert np.array_equal(got, exact)
