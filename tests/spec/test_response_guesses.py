"""Response fields the vendors' references never show are marked as guesses.

For every operation of each vendor spec, the properties of its 2xx JSON response bodies
(:func:`mock_server.spec.fidelity.response_properties`: ``$ref``, ``allOf`` / ``oneOf`` /
``anyOf``, nested objects and array items, named by key path such as ``data[].imageUrl``) are
compared with what the vendor's reference documents for that operation.

What the reference documents, per operation:

- **Example responses.** Every ``{...}`` in the reference text that parses as JSON is taken,
  with its key paths (``data``, ``data[].id``, ...). It is a response example when the
  nearest label before it is a response label (``Response``), and it belongs to the
  operation named by the nearest endpoint line before it (``POST/api/images/:imageId/stage``,
  ``:name`` read as ``{name}``). Request bodies (after a ``Request Body`` label, or a curl
  ``-d '...'`` payload) and JSON under no label (StagePro's MCP client config) document no
  response. Stager AI shows an example response after every endpoint; StagePro's reference
  shows **none** (only requests), so for StagePro only the next item applies.
- **Fields the prose names as returned** (:data:`PROSE`): e.g. StagePro says creating a job
  returns the job's id and its status, and a batch returns ``batch_id`` and ``job_ids``. Each
  entry names the words of the reference that document it, and the test checks they are there.

Matching, by property name within the same object nesting: a response property is
documented when its key path is one of the operation's documented key paths, or — the
reference showing the object without the envelope the spec puts around it — when the spec's
path is an envelope followed by a documented path (``data[].id`` for a documented ``id``).
A schema shared by several operations (``Job`` in ``createJob`` and ``getJob``) is one set of
properties: a property documented for one operation is documented for all.

Then:

1. every response property documented nowhere must be covered by ``x-stagemock-guess`` (on
   it, beside its ``$ref``, on the schema it refers to, or on an enclosing schema);
2. a property documented somewhere must not carry ``x-stagemock-guess`` itself (an enclosing
   mark, e.g. a whole guessed ``oneOf`` variant, is fine; so is a narrower rule marked with
   ``x-stagemock-guess-keywords``).

Only JSON bodies count: StagePro's ``text/event-stream`` agent replies and Stager AI's GCS
images have no JSON properties. Top-level ``webhooks`` are not operations (their bodies are
marked as a whole).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mock_server.spec.fidelity import _operations, response_properties
from tests.vendor import reference

ROOT = Path(__file__).resolve().parents[2]
APIS = ("stagepro", "stagerai")

#: Response fields the reference's prose names as returned: (api, operationId, key path,
#: a pattern of the reference that says so).
PROSE: tuple[tuple[str, str, str, str], ...] = (
    ("stagepro", "createJob", "id", r"returns 202 with job id"),
    ("stagepro", "createJob", "status", r"job id and status queued"),
    ("stagepro", "getJob", "status", r"until status is completed or failed"),
    ("stagepro", "createBatch", "batch_id", r"Returns batch_id and job_ids"),
    ("stagepro", "createBatch", "job_ids", r"Returns batch_id and job_ids"),
    ("stagepro", "createUpload", "upload_id", r"returned upload_id"),
    ("stagepro", "createAgentSession", "id", r"get a session id"),
    # not createAgentSession's `readyToRender`: the reference says the agent marks it (the
    # chat's reply), not that creating a session returns it (issue 30: same meaning, same
    # operation)
    ("stagepro", "sendAgentMessage", "readyToRender", r"agent marks readyToRender"),
)

_ENDPOINT = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)\s*(/api/[A-Za-z0-9_\-/:{}.]+)")
_LABEL = re.compile(r"Request Body|Response|-d\s*'$", re.MULTILINE)


def _doc(api: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "openapi" / f"{api}.yaml").read_text())


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """``{"data": [{"id": 1}]}`` → ``{"data", "data[].id"}``."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, sub in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.add(path)
            out |= key_paths(sub, path)
    elif isinstance(value, list):
        for sub in value:
            out |= key_paths(sub, f"{prefix}[]")
    return out


def json_objects(text: str) -> list[tuple[int, dict[str, Any]]]:
    """Every outermost ``{...}`` of ``text`` that parses as JSON, with its offset."""
    decoder = json.JSONDecoder()
    found, i = [], text.find("{")
    while i != -1:
        try:
            value, end = decoder.raw_decode(text, i)
        except ValueError:
            i = text.find("{", i + 1)
            continue
        if isinstance(value, dict):
            found.append((i, value))
        i = text.find("{", end)
    return found


def _operation_for(document: dict[str, Any], method: str, path: str) -> str | None:
    path = re.sub(r":(\w+)", r"{\1}", path.split("?")[0]).rstrip("/")
    for op_id, op_method, op_path, _op in _operations(document):
        for prefix in ("", "/api/v1"):
            if op_method == method and prefix + op_path == path:
                return op_id
    return None


def documented_paths(api: str, document: dict[str, Any]) -> dict[str, set[str]]:
    """operationId → the response key paths the reference documents for it."""
    text = reference(api)
    out: dict[str, set[str]] = {}
    for offset, value in json_objects(text):
        before = text[:offset]
        labels = list(_LABEL.finditer(before))
        if not labels or labels[-1].group(0) != "Response":
            continue  # a request body, or JSON that is no API response
        endpoints = list(_ENDPOINT.finditer(before))
        if not endpoints or endpoints[-1].start() > labels[-1].start():
            continue
        op_id = _operation_for(document, endpoints[-1].group(1), endpoints[-1].group(2))
        assert op_id, f"{api}: the reference's endpoint {endpoints[-1].group(0)!r} is in no operation"
        out.setdefault(op_id, set()).update(key_paths(value))
    for prose_api, op_id, path, pattern in PROSE:
        if prose_api == api:
            assert re.search(pattern, text), f"{api}: the reference no longer says {pattern!r}"
            out.setdefault(op_id, set()).add(path)
    return out


def _documented(path: str, documented: set[str]) -> bool:
    if path in documented:
        return True
    return any(path.endswith(f".{d}") or path.endswith(f"[].{d}") for d in documented)


def check(api: str) -> tuple[list[str], list[str]]:
    """(unmarked undocumented properties, documented properties marked as guesses), each as
    ``operationId: key path``."""
    document = _doc(api)
    documented = documented_paths(api, document)
    fields = {op_id: response_properties(document, op)
              for op_id, _m, _p, op in _operations(document)}
    #: JSON pointers of property schemas documented for some operation
    known = {ptr for op_id, props in fields.items() for path, ptr, _why, _own in props
             if _documented(path, documented.get(op_id, set()))}
    unmarked, overmarked = [], []
    for op_id, props in fields.items():
        for path, ptr, why, own in props:
            if ptr in known and own is not None:
                overmarked.append(f"{op_id}: {path} ({ptr})")
            elif ptr not in known and why is None:
                unmarked.append(f"{op_id}: {path} ({ptr})")
    return unmarked, overmarked


@pytest.mark.parametrize("api", APIS)
def test_the_reference_examples_are_found(api):
    """The extraction sees what the references show: Stager AI an example response for every
    JSON operation of its reference, StagePro only prose."""
    documented = documented_paths(api, _doc(api))
    if api == "stagerai":
        assert {"createProject", "createHdrImageGroup", "createHdrUploadUrl",
                "getHdrImageGroup", "uploadImage", "stageImage", "replaceLawn",
                "replaceSky"} <= set(documented)
        assert {"success", "data", "data[].imageUrl", "data[].width"} <= documented["stageImage"]
        assert {"data.id", "data.height"} <= documented["uploadImage"]
        assert documented["getHdrImageGroup"] == {"status", "imageUrl"}
    else:
        assert set(documented) == {op for a, op, _p, _r in PROSE if a == api}


@pytest.mark.parametrize("api", APIS)
def test_every_undocumented_response_field_is_a_marked_guess(api):
    unmarked, _ = check(api)
    assert not unmarked, (
        f"{api}: response properties the reference never shows, not marked "
        f"x-stagemock-guess:\n  " + "\n  ".join(unmarked)
    )


@pytest.mark.parametrize("api", APIS)
def test_no_documented_response_field_is_marked_a_guess(api):
    _, overmarked = check(api)
    assert not overmarked, (
        f"{api}: response properties the reference shows, yet marked x-stagemock-guess "
        f"(mark a narrower rule with x-stagemock-guess-keywords instead):\n  "
        + "\n  ".join(overmarked)
    )


def test_matching_rule():
    assert key_paths({"success": True, "data": [{"id": "x", "a": {"b": 1}}]}) == {
        "success", "data", "data[].id", "data[].a", "data[].a.b"}
    assert _documented("data[].id", {"id"}) and _documented("data.a.b", {"a.b"})
    assert not _documented("data[].idx", {"id"}) and not _documented("ida", {"id"})
    assert [v for _i, v in json_objects('x {"a": 1} {bad} -d \'{"b": {"c": 2}}\'')] == [
        {"a": 1}, {"b": {"c": 2}}]


def test_fidelity_lists_the_guessed_response_fields():
    from mock_server.spec import fidelity

    text = fidelity.render(ROOT / "openapi")
    assert "### Guessed response fields" in text
    # the reference gives no status for reads: 200 is a guess (tests/spec/test_ledger.py)
    assert "| `getUsage` | `GET /usage` | 401 | 200, 429, 5XX | `object`, `livemode`, `plan`" in text
    assert "| `error` | `getHdrImageGroup` |" in text  # status is shown by the reference
