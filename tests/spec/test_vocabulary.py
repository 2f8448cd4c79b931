"""The mock's own vocabulary is in the ledger too (issue 30): every error code an API's answers
can carry (its own exceptions, the generic ones every operation may answer, and the codes of
injected faults) is a code of that API's error table, so the ledger walks it and it carries a
mark (every code is a guess: neither reference states one)."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import yaml

from mock_server import errors
from mock_server.spec import ledger
from mock_server.stagepro import exceptions as stagepro_exceptions
from mock_server.stagerai import exceptions as stagerai_exceptions

ROOT = Path(__file__).resolve().parents[2]
#: Answered by every operation of either API (validation, auth, routing, sizes, media types).
GENERIC = {"validation_error", "invalid_json", "unauthorized", "not_found",
           "method_not_allowed", "payload_too_large", "unsupported_media_type"}
#: What fault rules and the rate limit inject (``mock_server/faults``).
INJECTED = {cls.code for cls in (errors.TooManyRequests, errors.InternalServerError,
                                 errors.BadGateway, errors.ServiceUnavailable,
                                 errors.GatewayTimeout)}
MODULES = {"stagepro": stagepro_exceptions, "stagerai": stagerai_exceptions}


def _codes(module: types.ModuleType) -> set[str]:
    return {obj.code for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, errors.ApiError)
            and obj.__module__ == module.__name__}


@pytest.mark.parametrize("api", sorted(MODULES))
def test_every_code_an_answer_can_carry_is_a_marked_item(api):
    document = yaml.safe_load((ROOT / "openapi" / f"{api}.yaml").read_text())
    items = {i.token: i for i in ledger.items(document) if i.kind == "error code"}
    expected = _codes(MODULES[api]) | GENERIC | INJECTED
    missing = sorted(expected - set(items))
    assert not missing, f"{api}: codes answered but not in the spec's error table: {missing}"
    unmarked = sorted(c for c in expected if items[c].mark is None)
    assert not unmarked, f"{api}: error codes neither cited nor marked: {unmarked}"


def test_the_module_codes_are_found():
    assert {"insufficient_credits", "idempotency_conflict"} <= _codes(stagepro_exceptions)
    assert {"too_many_brackets", "no_brackets"} <= _codes(stagerai_exceptions)


def test_every_mcp_tool_name_is_listed_as_the_mocks_own():
    from mock_server.mcp.tools import build_tools

    text = (ROOT / "docs" / "FIDELITY.md").read_text()
    section = text[text.index("## The MCP tools"):]
    missing = [t.name for t in build_tools() if f"`{t.name}`" not in section]
    assert not missing, f"MCP tools FIDELITY.md does not list as the mock's own: {missing}"
