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


def _layers_block() -> str:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    start = text.index("## Layers")
    return text[text.index("```", start) + 3: text.index("```", text.index("```", start) + 3)]


def _sections(block: str) -> dict[str, str]:
    """The layer diagram's text per package: a line at the left margin naming ``proxy/`` (or
    several packages) and the indented lines under it."""
    out: dict[str, str] = {}
    current: list[str] = []
    for line in block.splitlines():
        if line[:1] not in ("", " "):
            current = [w.rstrip("/") for w in line.split()
                       if w.endswith("/") and (ROOT / "mock_server" / w).is_dir()]
        for name in current:
            out[name] = out.get(name, "") + "\n" + line
    return out


def test_the_layer_diagram_names_every_module_of_the_package() -> None:
    """ARCHITECTURE.md's module list equals the tree: each module of ``mock_server`` is named in
    its package's entry of the layer diagram (a top-level one as ``name.py``), and each
    ``name.py`` the diagram names exists."""
    import re

    block = _layers_block()
    sections = _sections(block)
    missing = []
    for path in sorted((ROOT / "mock_server").rglob("*.py")):
        rel = path.relative_to(ROOT / "mock_server")
        if path.name == "__init__.py" or "_data" in rel.parts or "ui" in rel.parts:
            continue
        if rel.parent == Path("proxy/hooks"):  # a folder of plug-ins, found by name: a new
            continue  # hook is one module there and nothing else (ARCHITECTURE.md's recipe)
        if len(rel.parts) == 1:
            if not re.search(rf"(?<![\w/]){re.escape(path.name)}\b", block):
                missing.append(str(rel))
            continue
        text = sections.get(rel.parts[0], "")
        qualified = "/".join((*rel.parts[1:-1], path.stem))
        if not (re.search(rf"(?<![\w.]){re.escape(qualified)}\b", text)
                or re.search(rf"\b{re.escape(str(rel.with_suffix('')))}\b", block)):
            missing.append(str(rel))
    assert not missing, f"modules ARCHITECTURE.md's layer diagram does not name: {missing}"
    named = set(re.findall(r"(?<![\w/.])(\w+\.py)\b", block))
    gone = sorted(n for n in named if not any((ROOT / "mock_server").rglob(n)))
    assert not gone, f"ARCHITECTURE.md names modules that do not exist: {gone}"
