"""The spec's error table: the error codes its ``info.description`` lists, and where the error
body's ``code`` is defined (the ledger classifies each code at that place)."""

from __future__ import annotations

import re

from ..jsontypes import JsonObject


def error_codes(document: JsonObject) -> list[str]:
    """The codes of the spec's error table in ``info.description``: StagePro's
    ``| status | when | `code`, ... |`` rows, or Stager AI's ``Codes: `a`, `b` (400); ...``."""
    text = document.get("info", {}).get("description", "")
    codes: list[str] = []
    rows = re.findall(r"^\|\s*\d{3}\s*\|(.*)\|\s*$", text, re.M)
    for cells in rows:
        codes += re.findall(r"`(\w+)`", cells.rsplit("|", 1)[-1])
    if not rows and "Codes:" in text:
        listing = text[text.index("Codes:"):]
        listing = listing[: listing.index(").") + 2]
        codes += re.findall(r"`(\w+)`", listing)
    return list(dict.fromkeys(codes))


def error_code_field(document: JsonObject) -> list[str] | None:
    """Where the error body's ``code`` is defined: ``Error.properties.code`` or, nested,
    ``Error.properties.error.properties.code``."""
    error = document.get("components", {}).get("schemas", {}).get("Error", {})
    base = ["components", "schemas", "Error"]
    if "code" in error.get("properties", {}):
        return [*base, "properties", "code"]
    if "code" in error.get("properties", {}).get("error", {}).get("properties", {}):
        return [*base, "properties", "error", "properties", "code"]
    return None
