"""What schemathesis's structured events (``--report ndjson``) say about one test case: the
request it sent (:class:`Case`) and the answer it got (:class:`Response`), as its recorder
writes them, and the plain readings of both that the classifier and the findings share."""

from __future__ import annotations

import base64
import json
from typing import TypedDict

import orjson

from mock_server.jsontypes import Json


class Case(TypedDict, total=False):
    """A recorded test case's request (``recorder.cases[id].value``)."""

    method: str
    path: str  # the spec's path template, ``/jobs/{id}``
    path_parameters: dict[str, Json]
    query: dict[str, Json]
    headers: dict[str, Json]
    media_type: str
    body: Json


class Response(TypedDict, total=False):
    """A recorded answer (``recorder.interactions[id].response``). ``content`` is the body as
    schemathesis stores it (``{"$base64": …}`` or text); ``json`` an already parsed body."""

    status_code: int
    content: dict[str, str] | str
    json: Json


def response_body(response: Response) -> Json | None:
    """The answer's body parsed as JSON (``None``: none, or not JSON)."""
    content = response.get("content")
    if isinstance(content, dict) and "$base64" in content:
        raw = base64.b64decode(content["$base64"])
    elif isinstance(content, str):
        raw = content.encode()
    else:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def request_line(case: Case) -> str:
    """``POST /jobs {"type": …}``: the request in one line, its body cut at 300 characters."""
    text = f"{case.get('method', '?')} {case.get('path', '?')}"
    if case.get("path_parameters"):
        text += f" path {json.dumps(case['path_parameters'], ensure_ascii=False)}"
    if case.get("query"):
        text += f" query {json.dumps(case['query'], ensure_ascii=False)}"
    if case.get("body") is not None:
        body = json.dumps(case["body"], ensure_ascii=False)
        text += " " + (body if len(body) <= 300 else body[:300] + "…")
    return text
