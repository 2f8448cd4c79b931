"""Relative links between README, ARCHITECTURE and docs/ resolve.

Every markdown link or image ``](path)`` / ``](path#anchor)`` / ``](#anchor)`` of README.md,
ARCHITECTURE.md and ``docs/*.md`` that is not a URL must name a file of the checkout, and an
anchor into a markdown file must be the GitHub slug of one of its headings. Fenced code blocks
and inline code are not read (their ``](`` is code, not a link).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)")
EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # http:, https:, mailto:, ...


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md"))]


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def prose_lines(text: str, keep_code: bool = False) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks, inline code removed unless kept."""
    out, fence = [], None
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            continue
        out.append((n, line if keep_code else re.sub(r"`[^`]*`", "", line)))
    return out


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation removed (letters,
    digits, ``_`` and ``-`` kept), each space a hyphen."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # [text](url) -> text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor, duplicates suffixed -1, -2, ... as GitHub does."""
    seen: dict[str, int] = {}
    out = set()
    for _n, line in prose_lines(path.read_text(encoding="utf-8"), keep_code=True):
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = slug(m.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


def links(path: Path) -> list[tuple[int, str]]:
    return [
        (n, target)
        for n, line in prose_lines(path.read_text(encoding="utf-8"))
        for target in LINK.findall(line)
        if not EXTERNAL.match(target)
    ]


def broken_links(path: Path) -> list[str]:
    problems = []
    for n, target in links(path):
        where = f"{rel(path)}:{n}: ]({target})"
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            problems.append(f"{where}: no file {rel(dest)}")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{where}: no heading #{anchor} in {rel(dest)}")
    return problems


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    assert not broken_links(path), "broken links:\n" + "\n".join(broken_links(path))


def test_every_doc_links_back_to_the_readme_and_the_readme_lists_every_doc() -> None:
    readme = {target.partition("#")[0] for _n, target in links(ROOT / "README.md")}
    docs = sorted((ROOT / "docs").glob("*.md"))
    assert len(docs) >= 8
    unlisted = [d.name for d in docs if f"docs/{d.name}" not in readme]
    assert not unlisted, f"docs the README does not link: {unlisted}"
    for doc in docs:
        if doc.name in ("FIDELITY.md", "performance.md"):  # generated / kept as they are
            continue
        targets = {target.partition("#")[0] for _n, target in links(doc)}
        assert "../README.md" in targets, f"{doc.name} does not link back to the README"


def test_slugs_and_a_broken_link_are_seen(tmp_path: Path) -> None:
    assert slug("Control plane (`/__mock/`)") == "control-plane-__mock"
    assert slug("Contract tests (`stagemock check`)") == "contract-tests-stagemock-check"
    assert slug("Errors, and documented vs guessed rules") == "errors-and-documented-vs-guessed-rules"
    assert slug("StagePro v1: jobs, uploads") == "stagepro-v1-jobs-uploads"
    page = ROOT / "docs" / "stagepro.md"
    assert "ai-design-agent" in anchors(page)
    assert all(t for _n, t in links(page))
    (tmp_path / "other.md").write_text("# Other\n\n## Not `here`\n")
    fake = tmp_path / "page.md"
    fake.write_text(
        "# T\n\n## A `b`\n\n[ok](#a-b) [gone](#nope) `[code](nowhere.md)` [o](other.md#not-here)\n"
        "```\n[x](nowhere.md)\n```\n[missing](gone.md) [bad](other.md#other-1) [web](https://x.test/y)\n"
    )
    assert broken_links(fake) == [
        f"{fake}:5: ](#nope): no heading #nope in {fake}",
        f"{fake}:9: ](gone.md): no file {tmp_path / 'gone.md'}",
        f"{fake}:9: ](other.md#other-1): no heading #other-1 in {tmp_path / 'other.md'}",
    ]
