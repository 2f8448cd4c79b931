"""A replay's report in words (``stagemock replay`` and ``stagemock drift``): each difference
in a sentence with the ``curl`` that repeats its request, the exchanges skipped and why, and
the notes (keys sent as one, states not compared)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..curl import curl as write_curl
from ..curl import with_variables
from .shapes import Difference

if TYPE_CHECKING:
    from .replay import Outcome


def curl(method: str, url: str, headers: Mapping[str, str], data: bytes | None,
         variables: Mapping[str, str]) -> str:
    """The request as a ``curl`` line (``mock_server.curl``); a secret key (``variables``:
    key → name) as ``$NAME``; the recording client's own headers left out."""
    shown = [(k, with_variables(v, variables)) for k, v in headers.items()
             if not (k.lower() == "user-agent" or (k.lower() == "accept" and v == "*/*"))]
    return write_curl(method, url, shown, data, url_first=True)


def words(d: Difference) -> str:
    what = {
        "status": f"status: the recording has {d.expected}, the server answered {d.got}",
        "error_code": f"error code: the recording has {d.expected!r}, the server answered "
                      f"{d.got!r}",
        "missing": f"`{d.where}` ({d.expected}) is in the recording, not in the answer",
        "extra": f"`{d.where}` ({d.got}) is in the answer, not in the recording",
        "type": f"`{d.where}`: the recording has {d.expected}, the answer {d.got}",
        "enum": f"`{d.where}`: the recording has {d.expected!r}, the answer {d.got!r}",
        "no_answer": f"no answer ({d.got}); the recording has {d.expected}",
    }[d.kind]
    note = d.extra.get("note")
    if isinstance(note, str):
        what += f" ({note})"
    if d.rule == "guess":
        what += f" [a guess of this mock: {d.guess}]"
    elif d.rule == "unspecified":
        what += " [the spec does not describe it]"
    else:
        what += " [a documented rule]"
    return what


def report(outcome: Outcome, title: str) -> str:
    apis = ", ".join(f"{n} {api}" for api, n in outcome.apis.items())
    lines = [f"{title}: {outcome.replayed} exchanges replayed, {len(outcome.differences)} "
             f"differences ({len(outcome.documented)} in documented rules)"
             + (f"; by API: {apis}" if len(outcome.apis) > 1 else "")]
    lines += [f"  {line}" for line in outcome.notes]
    for d in outcome.differences:
        lines.append(f"  #{d.seq} {d.request} ({d.operation_id or 'no operation'}): {words(d)}")
        lines.append(f"      {d.curl}")
    for note in outcome.skipped:
        lines.append(f"  skipped {note}")
    return "\n".join(lines)
