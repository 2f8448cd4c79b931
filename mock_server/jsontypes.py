"""The one place ``Any`` is meant: a value that really is arbitrary JSON (a request or
response body as parsed, a spec document as loaded). mypy refuses an explicit ``Any``
anywhere else in the package and the contract suite (``disallow_any_explicit``), so every
other value has a real type, and a reader can tell JSON from a type nobody wrote down."""

from __future__ import annotations

from typing import Any, TypeAlias

#: Any JSON value: object, array, string, number, boolean or null.
Json: TypeAlias = Any
#: A JSON object (a body, a spec's schema, a journal entry as served).
JsonObject: TypeAlias = dict[str, Json]
