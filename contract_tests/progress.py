"""What ``stagemock check`` says while it works: the phase and the operation (or property
test) it is at, read from the structured events its two halves write as they go —
schemathesis's NDJSON events (``--report ndjson``, flushed line by line) and the property
suites' own (``suites/conftest.py`` writes one JSON line per test to
``STAGEMOCK_CONTRACT_PROGRESS``). Their console text is never read.

Where stdout is not a terminal (CI, a log), each step is a plain line; on a terminal, one
compact line rewritten in place and cleared before the report.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TextIO, TypedDict, Unpack

from mock_server.jsontypes import JsonObject

#: schemathesis's phases the user asked for (its own setup phases, probing, schema
#: analysis and auth bootstrap, are not worth a line).
PHASES = ("examples", "coverage", "fuzzing", "stateful")


class Progress:
    def __init__(self, stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self._shown = False  # an updating line is on the terminal

    def say(self, text: str) -> None:
        """One step: a line of its own, or the terminal's updating line."""
        if self.tty:
            width = max(20, shutil.get_terminal_size().columns - 1)
            line = text if len(text) <= width else text[: width - 1] + "…"
            self.stream.write("\r" + line + "\x1b[K")
            self._shown = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def clear(self) -> None:
        """Before a line of the report: the updating line goes away."""
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


class SchemathesisEvents:
    """Turns schemathesis's NDJSON events into progress lines: the phase, then each
    operation it finished (``coverage 3/18 GET /jobs/{id}: ok``)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.operations: int | None = None
        self.phase: str | None = None
        self.done = 0

    def __call__(self, event: JsonObject) -> None:
        if "LoadingFinished" in event:
            stats = event["LoadingFinished"].get("statistic") or {}
            self.operations = (stats.get("operations") or {}).get("selected")
        elif "PhaseStarted" in event:
            name = (event["PhaseStarted"].get("phase") or {}).get("name")
            if name in PHASES:
                self.phase, self.done = name, 0
                count = f" ({self.operations} operations)" \
                    if self.operations and name != "stateful" else ""
                self.progress.say(f"schemathesis: {name} phase{count}")
        elif "ScenarioFinished" in event:
            finished = event["ScenarioFinished"]
            phase = finished.get("phase")
            if phase not in PHASES:
                return
            self.done += 1
            label = (finished.get("recorder") or {}).get("label") or "?"
            failed = sorted({
                c.get("name", "?")
                for checks in ((finished.get("recorder") or {}).get("checks") or {}).values()
                for c in checks if c.get("status") == "failure"
            })
            status = finished.get("status", "?")
            outcome = ("failed: " + ", ".join(failed)) if failed else \
                {"success": "ok", "skip": "skipped"}.get(status, status)
            if phase == "stateful":
                where = f"scenario {self.done}"
            else:
                where = f"{self.done}/{self.operations}" if self.operations else str(self.done)
                where += f" {label}"
            self.progress.say(f"  {phase} {where}: {outcome}")


class PropertyEvents:
    """The property suites' events: ``{"collected": n}``, then per test ``{"test", "check",
    "outcome"}`` (``suites/conftest.py``) → ``properties 3/9 pagination: ok``."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.total: int | None = None
        self.done = 0

    def __call__(self, event: JsonObject) -> None:
        if "collected" in event:
            self.total = int(event["collected"])
            self.progress.say(f"property tests: {self.total} test(s)")
        elif "started" in event and self.progress.tty:  # a line of its own would double them
            self.progress.say(f"  properties {self.done + 1}/{self.total or '?'} "
                              f"{event.get('check', '?')}: running {event['started']}")
        elif "outcome" in event:
            self.done += 1
            outcome = {"passed": "ok"}.get(event["outcome"], event["outcome"])
            self.progress.say(f"  properties {self.done}/{self.total or '?'} "
                              f"{event.get('check', '?')}: {outcome} ({event.get('test', '?')})")


class PopenOptions(TypedDict, total=False):
    """What ``follow`` passes on to ``subprocess.Popen`` (the arguments its callers give)."""

    env: dict[str, str] | None
    cwd: str | Path | None
    stdout: int | IO[str] | None
    stderr: int | IO[str] | None
    text: bool


def follow(
    cmd: list[str], events: Path, on_event: Callable[[JsonObject], bool | None], *,
    timeout: float, **popen: Unpack[PopenOptions],
) -> int:
    """Run ``cmd`` and hand each JSON line appended to ``events`` to ``on_event`` as it
    comes; ``on_event`` returning True stops the command (``--fail-fast``). Returns the
    command's exit code; raises ``subprocess.TimeoutExpired`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    proc = subprocess.Popen(cmd, **popen)
    offset, pending = 0, b""
    try:
        while True:
            finished = proc.poll() is not None
            if events.exists():
                with events.open("rb") as f:
                    f.seek(offset)
                    chunk = f.read()
                offset += len(chunk)
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(event, dict) and on_event(event) and not finished:
                        proc.terminate()
                        proc.wait(30)
                        return proc.returncode
            if finished:
                return proc.returncode
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(cmd, timeout)
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
