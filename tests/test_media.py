"""The one media-type parser (``mock_server.media``): lower case, no parameters, from a header
value or from a recording's header pairs; and no other module parses a Content-Type itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mock_server.media import media_type, media_type_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("value", "expected"), [
    ("application/json", "application/json"),
    ("Application/JSON; charset=UTF-8", "application/json"),
    ("  multipart/form-data ; boundary=x;y", "multipart/form-data"),
    ("image/jpeg;", "image/jpeg"),
    ("", ""),
    (None, ""),
])
def test_a_header_value_gives_its_media_type(value: str | None, expected: str) -> None:
    assert media_type(value) == expected


def test_a_recordings_headers_give_the_first_content_types_media_type() -> None:
    headers = [["X-Other", "text/plain"], ["Content-TYPE", "Text/HTML; charset=utf-8"],
               ["content-type", "application/json"]]
    assert media_type_of(headers) == "text/html"
    assert media_type_of([["X-Other", "text/plain"]]) == ""
    assert media_type_of([], "application/json") == "application/json"
    # a Content-Type that names nothing is not the default: the exchange did say it
    assert media_type_of([["content-type", ""]], "application/json") == ""


def test_no_other_module_parses_a_content_type() -> None:
    """The parser's own idiom (cut at ``;``, strip, lower) appears nowhere else."""
    idiom = re.compile(r"""split\(["'];["'], 1\)\[0\]""")
    found = [f"{path.relative_to(ROOT)}:{n}"
             for package in ("mock_server", "contract_tests")
             for path in sorted((ROOT / package).rglob("*.py"))
             if path != ROOT / "mock_server" / "media.py"
             for n, line in enumerate(path.read_text().splitlines(), 1) if idiom.search(line)]
    assert not found, f"a Content-Type parsed outside mock_server/media.py: {found}"
