"""The client-resilience report: what a client did after each injected fault, read from the
journal (pure: entries in, findings out). Used by ``stagemock journal-report`` and by the
pytest plugin's strict mode.

A *retry* is the next request of the same key to the same method and path. The findings:

- ``duplicate``: a create whose answer was lost was sent again without the same
  ``idempotency_key`` (the body field the reference documents; the ``Idempotency-Key`` header
  counts too, as the mock honours it), and a second object now exists (both ids named);
- ``early_retry``: a retry sooner than the ``Retry-After`` the injected answer asked for
  (wall time, from the end of the faulted answer);
- ``retry_storm``: more than ``max_retries`` retries in a row, each answered with a failure;
- ``never_retried``: an injected 503 whose request was never sent again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..jsontypes import JsonObject
from .actions import ACTIONS, Action

#: A retry may come this much before ``Retry-After`` and still count as honouring it (the
#: journal's times are taken at the request's arrival, the client's after the answer).
TOLERANCE_SECONDS = 0.05
#: Default of ``--max-retries``: more retries than this in a row is a finding.
MAX_RETRIES = 5

#: Where the key belongs, said with every ``duplicate`` finding.
IDEMPOTENCY_FIELD = (
    "the reference documents the body field `idempotency_key`; the `Idempotency-Key` header "
    "is this mock's guess"
)

KINDS = ("duplicate", "early_retry", "retry_storm", "never_retried")


@dataclass(frozen=True)
class Finding:
    kind: str
    api_key: str | None
    operation_id: str | None
    seq: int  # the faulted request
    message: str

    def as_json(self) -> JsonObject:
        return {"kind": self.kind, "api_key": self.api_key, "operation_id": self.operation_id,
                "seq": self.seq, "message": self.message}


def _action(entry: JsonObject) -> Action | None:
    """The entry of the action journaled (``None``: no fault, or one this version lacks)."""
    name = entry.get("fault_action")
    return ACTIONS.get(name) if isinstance(name, str) else None


def _failed(entry: JsonObject) -> bool:
    status = entry.get("status")
    action = _action(entry)
    return (status is None or status == 429 or status >= 500
            or (action is not None and action.breaks))


def _where(entry: JsonObject) -> str:
    op = entry.get("operation_id") or "no operation"
    return f"{entry.get('method')} {entry.get('path')} ({op})"


def _answer(entry: JsonObject) -> str:
    status = entry.get("status")
    action = _action(entry)
    if status is None:
        return "a dropped connection"
    if action is not None and action.answer is not None:
        return action.answer(status)
    return f"{status}"


def findings(entries: Iterable[JsonObject], max_retries: int = MAX_RETRIES) -> list[Finding]:
    """Every finding, in the order of the faulted requests."""
    ordered = sorted(entries, key=lambda e: e.get("seq", 0))
    #: (api_key, method, path) of the journal entries → the entries
    streams: dict[tuple[str | None, str | None, str | None], list[JsonObject]] = {}
    for e in ordered:
        streams.setdefault((e.get("api_key"), e.get("method"), e.get("path")), []).append(e)
    out: list[Finding] = []
    for stream in streams.values():
        out += _stream_findings(stream, max_retries)
    return sorted(out, key=lambda f: f.seq)


def _stream_findings(stream: list[JsonObject], max_retries: int) -> list[Finding]:
    out: list[Finding] = []
    run_start: int | None = None  # index of the first failed attempt of the current run
    for i, e in enumerate(stream):
        nxt = stream[i + 1] if i + 1 < len(stream) else None
        key, op, seq = e.get("api_key"), e.get("operation_id"), e.get("seq", 0)
        if e.get("fault"):
            action = _action(e)
            if action is not None and action.loses_answer and nxt is not None:
                out += _duplicate(e, nxt)
            retry_after = e.get("retry_after")
            if retry_after is not None and nxt is not None:
                done = e.get("wall_time", 0.0) + e.get("duration_ms", 0.0) / 1000
                waited = nxt.get("wall_time", 0.0) - done
                if waited + TOLERANCE_SECONDS < retry_after:
                    out.append(Finding(
                        "early_retry", key, op, seq,
                        f"{_where(e)} got {_answer(e)} with Retry-After: {retry_after} and was "
                        f"retried {max(waited, 0.0):.2f} s later (request #{nxt.get('seq')})",
                    ))
            if e.get("status") == 503 and nxt is None:
                out.append(Finding(
                    "never_retried", key, op, seq,
                    f"{_where(e)} got an injected 503 (service unavailable) and was never "
                    "sent again",
                ))
        if _failed(e):
            run_start = i if run_start is None else run_start
            retries = i - run_start  # attempts after the first, all failed so far
            if nxt is not None and retries == max_retries:
                first = stream[run_start]
                out.append(Finding(
                    "retry_storm", key, op, first.get("seq", 0),
                    f"{_where(first)} was retried more than {max_retries} times in a row, "
                    f"each answered with a failure (requests #{first.get('seq')} to "
                    f"#{nxt.get('seq')}): give up, or back off for longer",
                ))
        else:
            run_start = None
    return out


def _duplicate(lost: JsonObject, retry: JsonObject) -> list[Finding]:
    first, second = lost.get("created"), retry.get("created")
    if not first or not second or first == second:
        return []
    key, sent = lost.get("idempotency_key"), retry.get("idempotency_key")
    if key and sent == key:
        return []  # replayed: the same object (never two ids)
    why = (
        "without an `idempotency_key`" if not sent
        else "with a different `idempotency_key`" if key else "with an `idempotency_key` the "
        "lost request did not carry"
    )
    return [Finding(
        "duplicate", lost.get("api_key"), lost.get("operation_id"), lost.get("seq", 0),
        f"{_where(lost)}: the answer was lost after the mock created {first}; the client "
        f"retried {why} (request #{retry.get('seq')}) and a duplicate {second} now exists: "
        "send one key per logical create as `idempotency_key` in the JSON body, the same on "
        f"every retry ({IDEMPOTENCY_FIELD})",
    )]


#: What the report says beside the webhook faults: the mock sees what it sent, never what the
#: receiver's handler did with it.
WEBHOOK_NOTE = (
    "the mock cannot see your webhook handler, so whether each duplicated event was handled "
    "once, and each reordered one without an older event overwriting newer state, is your "
    "test's own assertion (stagepro_mock.duplicated_events(), reordered_events())"
)


def duplicated_events(deliveries: Iterable[JsonObject]) -> list[str]:
    """The event ids a ``duplicate`` fault delivered twice, in the order they were queued."""
    return list(dict.fromkeys(str(d["event_id"]) for d in deliveries if d.get("duplicate")))


def reordered_events(deliveries: Iterable[JsonObject]) -> list[str]:
    """The event ids a ``reorder`` fault held and delivered newest first, as queued."""
    return list(dict.fromkeys(str(d["event_id"]) for d in deliveries
                              if d.get("fault_action") == "reorder"))


def webhook_faults(deliveries: Iterable[JsonObject]) -> JsonObject:
    """The duplicated and reordered webhook events (ids), and ``WEBHOOK_NOTE``."""
    listed = list(deliveries)
    return {"duplicated": duplicated_events(listed), "reordered": reordered_events(listed),
            "note": WEBHOOK_NOTE}
