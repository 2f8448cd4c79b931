"""schemathesis's own configuration file (``schemathesis.toml``) for one API, written from
the spec: ``stagemock check API --schemathesis-config [FILE]`` prints it (or writes FILE) for
a user's own ``st run``, and ``stagemock check`` runs schemathesis with the very same text.

Why a file: some schema-valid requests are refused for reasons no schema can state (bytes
that are not an image, an 8th HDR bracket, a webhook endpoint id or cursor this account was
never given). The spec marks those operations ``x-stagemock-state-dependent: [<status>]``,
which schemathesis's CLI cannot read; its configuration can carry the same leniency per
operation (``[[operations]]`` with ``checks.positive_data_acceptance.expected-statuses``),
so ``st run`` with this file reports only what ``stagemock check`` would."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from mock_server.mounts import BASE_PATHS

from .target import API_NAMES, SPECS

#: Statuses a schema-valid request may legitimately get: live keys run out of credits (402)
#: or storage (403), ids generated from the schema do not exist (404), state conflicts (409),
#: expired uploads or sessions, or an upload id this account does not have (422).
POSITIVE_OK = ["2xx", "3xx", "401", "402", "403", "404", "409", "422", "429"]
#: The spec extension on an operation whose schema-valid input can still be refused with one
#: of the listed statuses (400) because validity depends on state the schema cannot see (a
#: webhook endpoint id that is not active, a cursor this server did not issue, bytes that are
#: not an image, an 8th bracket). For these only, ``positive_data_acceptance`` also accepts
#: them; every other check stays as strict.
STATE_DEPENDENT = "x-stagemock-state-dependent"
#: The security scheme (in the spec's ``components.securitySchemes``) and the field of
#: schemathesis's ``[auth.openapi.<scheme>]`` that carries the key.
KEY_AUTH = {"stagepro": ("ApiKeyAuth", "bearer"), "stagerai": ("StagerApiKey", "api_key")}
#: Where the mock serves each spec, for the command the file's header shows.
MOCK_ORIGIN = "http://127.0.0.1:8000"
#: An operation's ``x-stagemock-state-dependent`` as the spec holds it, when it has one.
JsonLike = list[int | str] | None


def _operations(api: str) -> dict[str, tuple[str, str, JsonLike]]:
    """operationId → ('POST /jobs', its summary, its mark or None), in the spec's order."""
    from mock_server.spec.loader import read_document  # only when a file is written

    doc = read_document(SPECS[api])
    out: dict[str, tuple[str, str, JsonLike]] = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                out[op["operationId"]] = (f"{method.upper()} {path}", op.get("summary", ""),
                                          op.get(STATE_DEPENDENT))
    return out


def marks(api: str) -> dict[str, list[int]]:
    """operationId → the statuses it may answer to schema-valid input (the spec's
    ``x-stagemock-state-dependent`` on the operation)."""
    return {op: [int(s) for s in mark]
            for op, (_, _, mark) in _operations(api).items() if mark is not None}


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def _statuses(statuses: Sequence[str]) -> str:
    return "[" + ", ".join(_toml(s) for s in statuses) + "]"


def schemathesis_toml(api: str, api_key: str, *, console_session: str | None = None,
                      lenient: Mapping[str, Sequence[int]] | None = None,
                      file_name: str = "schemathesis.toml") -> str:
    """The whole file for ``api``: the statuses every schema-valid request may get, the key
    (per security scheme, so that schemathesis's missing/invalid-credential tests really
    remove it), StagePro's console session when given, and one ``[[operations]]`` entry per
    operation in ``lenient`` (default: the spec's marks), each with a comment saying why.
    The header's command names ``file_name``, the file as written, so it runs as shown."""
    operations = _operations(api)
    lenient = marks(api) if lenient is None else lenient
    spec = SPECS[api].name
    base = MOCK_ORIGIN + BASE_PATHS[api].rstrip("/")
    lines = [
        f"# schemathesis.toml for {API_NAMES[api]}, written from {spec} by",
        f"# `stagemock check {api} --schemathesis-config`. Against the mock:",
        f"#   st --config-file {file_name} run {MOCK_ORIGIN}/openapi/{spec} \\",
        f"#     --url {base} --checks all",
        "",
        "# A schema-valid request may still get these: a live key out of credits (402) or",
        "# storage (403), an id the schema made up (404), a state conflict (409), an expired or",
        "# unknown upload or session (422).",
        "[checks.positive_data_acceptance]",
        f"expected-statuses = {_statuses(POSITIVE_OK)}",
        "",
        "# The key: given per security scheme, so that the missing/invalid-credential tests",
        "# really remove it.",
        f"[auth.openapi.{KEY_AUTH[api][0]}]",
        f"{KEY_AUTH[api][1]} = {_toml(api_key)}",
    ]
    if api == "stagepro" and console_session:
        lines += ["", "# The console session (webhook and key endpoints).",
                  "[auth.openapi.ConsoleSession]", f"api_key = {_toml(console_session)}"]
    if lenient:
        lines += [
            "",
            "# Operations whose schema-valid input may still be refused: whether it is valid",
            "# depends on state no schema can state (bytes that are not an image, an id or a",
            "# cursor this account was never given, one bracket too many). Each is marked",
            f"# `{STATE_DEPENDENT}` in {spec}; its description says when.",
        ]
    for op, refusals in lenient.items():
        name, summary, _ = operations.get(op, (op, "", None))
        extra = ", ".join(str(s) for s in refusals)
        lines += [
            "",
            f"# {name} ({op}" + (f": {summary}" if summary else "")
            + f"): {extra} on state its schema cannot see",
            "[[operations]]",
            f"include-operation-id = {_toml(op)}",
            "checks.positive_data_acceptance.expected-statuses = "
            + _statuses(POSITIVE_OK + [str(s) for s in refusals]),
        ]
    return "\n".join(lines) + "\n"
