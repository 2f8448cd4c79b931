"""The price table (``fixtures/prices.yaml``) checks itself against the spec at startup: a
key that names no job type or listing tool stops the mock naming it (a typo would otherwise
charge the listing-tool base price without a word)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from mock_server import Settings, create_app
from mock_server.stagepro.catalog import PriceTableError, check_prices

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = yaml.safe_load((ROOT / "fixtures" / "prices.yaml").read_text())
SPEC = yaml.safe_load((ROOT / "openapi" / "stagepro.yaml").read_text())
JOB_TYPES = tuple(SPEC["components"]["schemas"]["JobType"]["enum"])
TOOLS = tuple(SPEC["components"]["schemas"]["ListingTool"]["enum"])


def _fixtures(tmp_path: Path, prices: dict) -> Path:
    folder = tmp_path / "fixtures"
    folder.mkdir()
    shutil.copy(ROOT / "fixtures" / "accounts.yaml", folder / "accounts.yaml")
    (folder / "prices.yaml").write_text(yaml.safe_dump(prices))
    return folder


def test_the_shipped_table_passes():
    check_prices(SHIPPED, JOB_TYPES, TOOLS)


def test_a_misspelt_listing_tool_stops_startup_naming_it(tmp_path):
    prices = {**SHIPPED, "listing_tools": {**SHIPPED["listing_tools"], "sketch-to-rendr": 2}}
    with pytest.raises(PriceTableError, match=r"listing_tools: 'sketch-to-rendr' is not a "
                                              r"listing tool of the spec"):
        create_app(Settings(deterministic=True, fixtures_dir=_fixtures(tmp_path, prices)))


@pytest.mark.parametrize("prices, says", [
    ({**SHIPPED, "job_types": {**SHIPPED["job_types"], "virtual-staging": 2}},
     "job_types: 'virtual-staging' is not a job type of the spec"),
    ({**SHIPPED, "job_types": {k: v for k, v in SHIPPED["job_types"].items() if k != "edit"}},
     "job_types: no price for edit"),
    ({**SHIPPED, "listing_tool": {"room-declutter": 2}}, "unknown section 'listing_tool'"),
    ({**SHIPPED, "listing_tools": {"room-declutter": 1.5}},
     "listing_tools.room-declutter: 1.5 is not a whole number of credits"),
    ({**SHIPPED, "agent_chat": -1}, "agent_chat: -1 is not a whole number of credits"),
])
def test_every_problem_is_named(prices, says):
    with pytest.raises(PriceTableError) as exc:
        check_prices(prices, JOB_TYPES, TOOLS)
    assert says in str(exc.value)


def test_all_problems_are_named_at_once():
    prices = {"job_types": {"empty-rom": 1}, "listing_tools": {"sky": 2}}
    with pytest.raises(PriceTableError) as exc:
        check_prices(prices, JOB_TYPES, TOOLS)
    message = str(exc.value)
    for needle in ("'empty-rom'", "'sky'", "no price for empty-room"):
        assert needle in message, message
