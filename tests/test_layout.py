"""The package's shape, as ARCHITECTURE.md promises it: no module over 400 lines (a module
that grows past that holds more than one concept: split it by what each part owns)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400


def test_no_module_is_over_400_lines() -> None:
    over = {
        str(path.relative_to(ROOT)): n
        for package in ("mock_server", "contract_tests")
        for path in sorted((ROOT / package).rglob("*.py"))
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not over, f"modules over {MAX_LINES} lines (split them): {over}"
