"""No hand-written counts or prices of the catalogue in prose: the number of listing tools,
templates or styles, and what a job type or a listing tool costs, are read from the spec and
``fixtures/prices.yaml`` (``GET /capabilities``), never written in a description or a page
where adding a tool or changing a price would leave them stale. Examples that show prices or
charges must agree with the price table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mock_server.stagepro.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "openapi" / "stagepro.yaml").read_text())
PRICES = yaml.safe_load((ROOT / "fixtures" / "prices.yaml").read_text())
CATALOG = Catalog.from_spec(SPEC, PRICES)
#: Generated from the catalogue (its counts are computed, not written).
GENERATED = {"docs/FIDELITY.md"}
#: What the catalogue counts.
NOUNS = (r"listing(?:[- ]photo)?[- ]tools?|tools|(?:MLS |workflow )?templates|job types|styles"
         r"|room types|aspect ratios|webhook events")
COUNT = re.compile(rf"\b(\d+)\s+(?:{NOUNS})\b", re.IGNORECASE)


def _slugs() -> str:
    names = sorted({*CATALOG.job_types, *CATALOG.listing_tools}, key=len, reverse=True)
    return "|".join(re.escape(n) for n in names)


#: A job type or listing tool followed by a number: ``empty-room 1``, ``sketch-to-render` 2``.
PRICE = re.compile(rf"`?\b({_slugs()})\b`?\s*:?\s+(\d+)\b(?!\s*[-–:x%])")


def _spec_prose(node: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every ``description``/``summary`` of a spec (examples aside: their values are data)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("example", "examples"):
                continue
            if key in ("description", "summary") and isinstance(value, str):
                yield f"{where}/{key}", value
            else:
                yield from _spec_prose(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _spec_prose(value, f"{where}/{i}")


def _prose() -> Iterator[tuple[str, str]]:
    for spec in sorted((ROOT / "openapi").glob("*.yaml")):
        yield from _spec_prose(yaml.safe_load(spec.read_text()), f"openapi/{spec.name}#")
    pages = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        name = str(page.relative_to(ROOT))
        if name not in GENERATED:
            yield name, page.read_text()


PROSE = list(_prose())


def _lines(text: str, pattern: re.Pattern[str]) -> list[str]:
    flat = " ".join(text.split())  # a count may break across lines
    return [flat[max(m.start() - 40, 0):m.end() + 20] for m in pattern.finditer(flat)]


def test_no_catalogue_count_in_prose():
    found = [f"{where}: …{hit}…" for where, text in PROSE for hit in _lines(text, COUNT)]
    assert not found, ("counts of the catalogue go stale when it grows: say 'the listing "
                       "tools' and point at GET /capabilities\n" + "\n".join(found))


def test_no_price_in_prose():
    found = [f"{where}: …{hit}…" for where, text in PROSE for hit in _lines(text, PRICE)]
    assert not found, ("prices written in prose go stale: point at GET /capabilities "
                       "(`prices`) or fixtures/prices.yaml\n" + "\n".join(found))


@pytest.mark.parametrize("text", [
    "the 23 listing tools", "The 23 listing\n photo tools", "the 6 MLS templates",
    "12 styles", "Prices: `empty-room` 1, `virtual-stage` 2",
    "(interior-design 2, virtual-stage 2 credits on live keys)",
])
def test_the_patterns_catch_what_they_are_for(text):
    assert _lines(text, COUNT) or _lines(text, PRICE), text


@pytest.mark.parametrize("text", [
    "one job type over 1-100 photos", "7 brackets", "at most 100 photos",
    "`virtual-stage` 2–20 parallel jobs",
])
def test_the_patterns_leave_other_numbers_alone(text):
    assert not (_lines(text, COUNT) or _lines(text, PRICE)), text


def _price_tables(node: Any) -> Iterator[dict[str, Any]]:
    """Every price table the spec shows (``prices`` of a capabilities example)."""
    if isinstance(node, dict):
        table = node.get("prices")
        if isinstance(table, dict) and table.get("currency") == "credits":
            yield table
        for child in node.values():
            yield from _price_tables(child)
    elif isinstance(node, list):
        for child in node:
            yield from _price_tables(child)


def test_example_prices_agree_with_the_table():
    tables = list(_price_tables(SPEC))
    assert tables, "no price table in the spec's examples: the walk is broken"
    for listed in tables:
        assert listed["job_types"] == PRICES["job_types"]
        for tool, credits in listed["listing_tools"].items():
            assert credits == CATALOG.price("listing-tool", tool), tool
        assert listed["agent_chat"] == PRICES.get("agent_chat", 0)


def _examples(node: Any) -> Iterator[dict[str, Any]]:
    """Every example of the spec that is a (live) job: its ``summary`` and ``value``."""
    if isinstance(node, dict):
        value = node.get("value")
        if isinstance(value, dict) and value.get("object") == "job" and value.get("livemode"):
            yield node
        for child in node.values():
            yield from _examples(child)
    elif isinstance(node, list):
        for child in node:
            yield from _examples(child)


def test_example_jobs_are_charged_their_price():
    checked = 0
    for example in _examples(SPEC):
        job = example["value"]
        price = CATALOG.price(job["type"], job["input"].get("listing_tool"))
        assert job["credits_charged"] == price, (example.get("summary"), job["credits_charged"])
        said = re.search(r"charged (\d+) credits?", example.get("summary", ""))
        assert said is None or int(said.group(1)) == price, example["summary"]
        checked += 1
    assert checked, "no live job example found: the walk is broken"
