"""The mock-only MCP tools: one per operation of ``mock_server.control.OPERATIONS`` that has a
``tool`` (its name, title and description are there), listed only when the server is a
stagemock.

A tool's input schema is the operation's in ``openapi/admin.yaml`` (``schemas.tool_schema``:
its JSON body, else its query parameters; path parameters as required properties). An
operation that takes ``api_key`` acts on the MCP server's own key: in a body, unless the agent
gives ``api_key``; in a query, the tool has ``all_keys`` instead. The tool answers with the
operation's JSON. A few tools answer in their own way (``ANSWERS``, ``SCHEMAS``): the ones
agents used before this table existed, kept as they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..control import OPERATIONS, Operation, RequestOptions
from ..jsontypes import JsonObject
from ..limits import JOBS_PAGE_DEFAULT
from . import schemas
from .client import StageProClient
from .parts import Part, Runner, ToolDef, ToolFailure, dump

ALL_KEYS = {"type": "boolean", "default": False,
            "description": "Every API key's, not only ours."}


def control_schema(op: Operation, doc: JsonObject) -> JsonObject:
    """The tool's input schema: what ``op`` takes in ``openapi/admin.yaml``."""
    schema = schemas.tool_schema(op.method.lower(), "/__mock/" + op.path, doc=doc)
    if op.key == "query":
        schema["properties"].pop("api_key", None)
        schema["properties"]["all_keys"] = dict(ALL_KEYS)
    return schema


def control_request(c: StageProClient, op: Operation,
                    a: JsonObject) -> tuple[dict[str, str], RequestOptions]:
    """The path parameters and the request (``params`` or ``json``) for the arguments ``a``,
    sent with the MCP server's key where ``op`` takes one (see the module's docstring)."""
    args = dict(a)
    ids = {}
    for name in re.findall(r"\{(\w+)\}", op.path):
        if not args.get(name):
            raise ToolFailure(f"missing argument {name!r}")
        ids[name] = str(args.pop(name))
    all_keys = bool(args.pop("all_keys", False)) if op.key == "query" else False
    if op.key is not None and not all_keys and args.get("api_key") is None and c.api_key:
        args["api_key"] = c.api_key
    if op.method in ("GET", "DELETE"):
        return ids, {"params": {k: v for k, v in args.items() if v is not None}}
    return ids, {"json": args}


def runner(operation: str) -> Runner:
    """Call ``operation`` with the tool's arguments; its JSON is the answer."""
    op = OPERATIONS[operation]

    async def run(c: StageProClient, a: JsonObject) -> list[Part]:
        ids, request = control_request(c, op, a)
        answer = await c.control(operation, ids, **request)
        return [dump(answer if answer is not None else {})]

    return run


# ------------------------------------------------------------------ answers kept as they were
async def read_journal(c: StageProClient, a: JsonObject) -> list[Part]:
    """``getJournal``, the last ``limit`` entries (default 20) and how many matched."""
    args = dict(a)
    limit = int(args.pop("limit", None) or JOBS_PAGE_DEFAULT)
    if args.get("nonconformant"):
        args["nonconformant"] = "true"
    else:
        args.pop("nonconformant", None)
    ids, request = control_request(c, OPERATIONS["getJournal"], args)
    data = await c.control("getJournal", ids, **request)
    entries = data.get("entries", []) if isinstance(data, dict) else data
    return [dump({"total": len(entries), "entries": entries[-limit:]})]


async def inject_fault(c: StageProClient, a: JsonObject) -> list[Part]:
    """``createFault``: fields given as null are left out (``times`` aside: null is "until
    cleared"); ``api`` defaults to StagePro."""
    rule = {k: v for k, v in a.items() if v is not None or k == "times"}
    rule.setdefault("api", "stagepro")
    ids, request = control_request(c, OPERATIONS["createFault"], rule)
    return [dump(await c.control("createFault", ids, **request))]


async def clear_faults(c: StageProClient, a: JsonObject) -> list[Part]:
    """``clearFaults``, then how many rules are left (every key's)."""
    ids, request = control_request(c, OPERATIONS["clearFaults"], a)
    await c.control("clearFaults", ids, **request)
    left = await c.control("listFaults")
    return [dump({"removed": True, "rules_left": len(left.get("data", []))})]


def _journal_schema(schema: JsonObject) -> JsonObject:
    schema["properties"]["limit"] = {
        "type": "integer", "minimum": 1, "maximum": 1000, "default": JOBS_PAGE_DEFAULT,
        "description": "At most this many, the most recent.",
    }
    return schema


def _fault_schema(schema: JsonObject) -> JsonObject:
    """``api`` optional (StagePro)."""
    schema["required"] = [r for r in schema.get("required", []) if r != "api"]
    return schema


ANSWERS: dict[str, Runner] = {
    "read_journal": read_journal, "inject_fault": inject_fault, "clear_faults": clear_faults,
}
SCHEMAS: dict[str, Callable[[JsonObject], JsonObject]] = {
    "read_journal": _journal_schema, "inject_fault": _fault_schema,
}


def build_mock_tools() -> list[ToolDef]:
    doc = schemas.admin_document()
    out = []
    for operation, op in OPERATIONS.items():
        if op.tool is None:
            continue
        schema = control_schema(op, doc)
        schema = SCHEMAS.get(op.tool.name, lambda s: s)(schema)
        run = ANSWERS.get(op.tool.name) or runner(operation)
        out.append(ToolDef(op.tool.name, op.tool.title, op.tool.description, schema, run,
                           read_only=op.tool.read_only, mock_only=True))
    return out
