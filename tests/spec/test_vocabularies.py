"""Every vocabulary has one source, the spec: each enum value has its implementation (a
palette, a layout, the agent's words, a webhook event...) and no implementation names a value
the spec lacks. A failure names the values."""

from __future__ import annotations

import pytest
import yaml

from mock_server.images.render.furniture import STYLE_PALETTES, layout_key
from mock_server.images.render.stagerai import COLOR_TYPES, STAGER_STYLE
from mock_server.spec.schema_walk import enum_at, request_schema
from mock_server.stagepro.agent_models import ROOM_WORDS, STYLE_WORDS
from mock_server.webhooks.models import EVENTS
from tests.conftest import ROOT

PRO = yaml.safe_load((ROOT / "openapi" / "stagepro.yaml").read_text())
AI = yaml.safe_load((ROOT / "openapi" / "stagerai.yaml").read_text())
JOB = request_schema(PRO, "/jobs", "post")


def _ai_enum(name: str) -> list[str]:
    return list(AI["components"]["schemas"][name]["enum"])


def _same(spec: list[str], implemented: set[str]) -> None:
    missing, extra = sorted(set(spec) - implemented), sorted(implemented - set(spec))
    assert not missing and not extra, f"no implementation for {missing}; not in the spec: {extra}"


@pytest.mark.parametrize("table", [STYLE_PALETTES, STYLE_WORDS], ids=["palettes", "agent-words"])
def test_stagepro_styles(table):
    _same(enum_at(PRO, JOB, "input.style"), set(table))


def test_stagepro_rooms_have_agent_words_and_a_layout():
    rooms = enum_at(PRO, JOB, "input.room_type")
    _same(rooms, set(ROOM_WORDS))
    assert [r for r in rooms if layout_key(r) is None] == []


def test_stager_ai_rooms_styles_and_colours():
    assert [r for r in _ai_enum("RoomType") if layout_key(r) is None] == []
    _same(_ai_enum("RoomStyle"), set(STAGER_STYLE))
    assert set(STAGER_STYLE.values()) <= set(STYLE_PALETTES)
    _same(_ai_enum("ColorType"), set(COLOR_TYPES))


def test_webhook_events():
    _same(enum_at(PRO, request_schema(PRO, "/webhooks", "post"), "events"), set(EVENTS))


def test_an_unmapped_room_is_named_not_furnished_silently():
    assert layout_key("sauna") is None
    assert layout_key("KITCHEN_LIVING_AREA") == "living-room"
