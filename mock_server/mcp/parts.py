"""What an MCP tool is and what it answers with. Tools return a list of parts: ``Data`` (the
API's JSON object: the result's structured content, and its first text block as JSON alone),
``str`` (a hint for the model: a later text block) and ``Image`` (JPEG bytes); the server
turns them into MCP content. No MCP SDK here."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..jsontypes import Json, JsonObject
from .client import StageProClient


@dataclass(frozen=True)
class Image:
    data: bytes
    mime_type: str = "image/jpeg"


@dataclass(frozen=True)
class Data:
    """The object a tool answers with (the API's JSON, as decoded)."""

    value: Json

    def text(self) -> str:
        return json.dumps(self.value, indent=1, ensure_ascii=False)


Part = str | Image | Data
#: A tool's code: the client and the tool's arguments (the JSON object of the MCP call).
Runner = Callable[[StageProClient, JsonObject], Awaitable[list[Part]]]


@dataclass(frozen=True)
class ToolDef:
    name: str
    title: str
    description: str
    input_schema: JsonObject
    run: Runner
    #: The spec operation the schema comes from (method, path) and the body fields left out.
    operation: tuple[str, str] | None = None
    omit: tuple[str, ...] = ()
    read_only: bool = False
    mock_only: bool = False
    extra: dict[str, object] = field(default_factory=dict)


class ToolFailure(Exception):
    """A failure the model should read (bad arguments the API never saw, a local file...)."""


def dump(data: Json) -> Data:
    return Data(data)
