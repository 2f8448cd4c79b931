"""Reading a schemathesis CLI run's NDJSON report (``--report ndjson``) in the tests that run
its CLI: each recorded request with its case and checks, and the part names of a multipart
body."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from mock_server.jsontypes import JsonObject


def interactions(events: Path) -> Iterator[tuple[JsonObject, JsonObject, list[JsonObject]]]:
    """(the case's value, the request and response sent, the checks run on them), for every
    request of every finished scenario."""
    for line in events.read_text().splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        checks = recorder.get("checks") or {}
        for case_id, interaction in (recorder.get("interactions") or {}).items():
            yield recorder["cases"][case_id]["value"], interaction, checks.get(case_id, [])


def part_names(body: bytes) -> list[str]:
    """The ``name`` of each part of a multipart body, in order."""
    return [line.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
            for line in body.split(b"\r\n") if line.startswith(b"Content-Disposition:")]
