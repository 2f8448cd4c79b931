"""States in order (pure): where a replayed answer's ``status`` stands against the recorded
one, so a replay compares a recorded state only with the same state, never with an earlier
or a later one.

The order is the spec's: the values of the answer's ``status`` field in the order the schema
lists them (``JobStatus``: queued, processing, completed, failed; a ``oneOf`` discriminated by
``status``, as Stager AI's group: its branches' ``const`` values in branch order, pending,
processing, completed, failed). A state in ``shapes.TERMINAL`` is final: nothing follows it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..jsontypes import Json, JsonObject
from ..spec.loader import resolve
from ..spec.rules import UNCOVERED
from .shapes import TERMINAL, Difference, SchemaWalker, _rule

#: The new answer is in the recorded state (or the states cannot be told apart): compare.
SAME = "same"
#: The new answer is in an earlier state that can still move: wait, then ask again.
BEHIND = "behind"
#: The new answer is past the recorded (not final) state: comparing them would compare a
#: state with another; the answer is not compared.
AHEAD = "ahead"
#: The new answer is final and not the recorded state: it will never be; compare as it is.
FINAL = "final"


def order(walker: SchemaWalker, schema: Json) -> list[str]:
    """The values the ``status`` field of ``schema`` takes, in the spec's order."""
    values: list[str] = []
    for node in walker.branches(schema):
        props = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(props, dict) or "status" not in props:
            continue
        for sub in walker.branches(resolve(walker.document, props["status"])):
            if not isinstance(sub, dict):
                continue
            values += [v for v in sub.get("enum") or () if isinstance(v, str)]
            if isinstance(sub.get("const"), str):
                values.append(sub["const"])
    return list(dict.fromkeys(values))


def standing(states: list[str], want: Json, got: Json) -> str:
    """Where the new answer ``got`` stands against the recorded ``want`` (both bodies of one
    ``GET`` with the same HTTP status): ``SAME``, ``BEHIND``, ``AHEAD`` or ``FINAL``."""
    if not isinstance(want, dict) or not isinstance(got, dict):
        return SAME
    recorded, new = want.get("status"), got.get("status")
    if not isinstance(recorded, str) or recorded == new:
        return SAME
    if not isinstance(new, str):
        return SAME  # no state to wait for: the shapes say what differs
    if recorded in states and new in states:
        if states.index(new) < states.index(recorded):
            return FINAL if new in TERMINAL else BEHIND
        return SAME if recorded in TERMINAL else AHEAD
    # states the spec does not order: wait only for a recorded final state
    if recorded in TERMINAL:
        return FINAL if new in TERMINAL else BEHIND
    return SAME


def ended(got: Json) -> bool:
    """Whether an answer's ``status`` is final (``shapes.TERMINAL``)."""
    return isinstance(got, dict) and got.get("status") in TERMINAL


def rests_at(exchanges: list[JsonObject], path: str, value: str,
             body_of: Callable[[JsonObject], Json]) -> bool:
    """Whether ``value`` is the last ``status`` the recording's GETs of ``path`` answered:
    the object rested there. A status the spec does not list is placed so: the last one is
    where the object ended (replay waits for the new one to end, then compares), an earlier
    one was work in progress (not compared)."""
    last = None
    for other in exchanges:
        if other["request"]["method"] == "GET" and other["request"]["path"] == path:
            body = body_of(other.get("response") or {})
            if isinstance(body, dict) and isinstance(body.get("status"), str):
                last = body["status"]
    return last == value


def unreached(walker: SchemaWalker, timeout: float, found: list[Difference], schema: Json,
              want: Json, got: Json, stand: str) -> list[Difference]:
    """A recorded state the new server did not reach: said, on the ``status`` field."""
    assert isinstance(want, dict) and isinstance(got, dict)
    note = (f"the server did not reach {want['status']!r} within {timeout:g} s"
            if stand == BEHIND else
            f"the server ended in {got.get('status')!r} and will not reach "
            f"{want['status']!r}")
    mine = [d for d in found if d.where == "body.status"]
    if not mine:
        # the branch the new answer is in (a value the spec does not list fits none)
        holder = walker.enum_holder(walker.child(schema, "status", got))
        verdict = (walker.book.enum_difference(holder, want["status"], got["status"])
                   if holder is not None else UNCOVERED)
        mine = [Difference("enum", "body.status", want["status"], got.get("status"),
                           **_rule(verdict))]
        found = mine + found
    mine[0].extra["note"] = note
    return found
