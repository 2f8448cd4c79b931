"""The request journal: a bounded ring of every request received, with the operation it
matched and whether it conformed to the spec."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from time import time as _wall

from .core.clock import iso
from .jsontypes import JsonObject


@dataclass(slots=True)
class JournalEntry:
    """One request (slots: one is built per request and up to ``journal_size`` are kept)."""

    seq: int
    time: float
    method: str
    path: str
    query: str
    api: str | None = None
    operation_id: str | None = None
    api_key: str | None = None
    status: int | None = None
    conformant: bool = True
    violations: list[JsonObject] = field(default_factory=list)
    #: Notes that do not make the entry non-conformant (``[{"field", "message"}]``), e.g. a
    #: Stager AI JSON body sent as ``application/x-www-form-urlencoded`` and read as JSON.
    warnings: list[JsonObject] = field(default_factory=list)
    duration_ms: float = 0.0
    #: When the request arrived, in wall-clock seconds (Unix): what a client's backoff is
    #: measured in, whatever the mock's clock says.
    wall_time: float = 0.0
    #: The fault rule (``flt_...``) or ``rate_limit`` that changed the answer, and how
    #: (``fault_action``); ``status`` is then what the client got (``None``: no response).
    fault: str | None = None
    fault_action: str | None = None
    #: ``Retry-After`` sent with an injected answer (seconds).
    retry_after: int | None = None
    #: ``lose_response``: the status of the answer the client never got.
    lost_status: int | None = None
    #: Recorded while a fault rule or the rate limit is set (the resilience report's
    #: evidence): the ``Idempotency-Key`` sent, and the id of what a 2xx answer created.
    idempotency_key: str | None = None
    created: str | None = None

    def as_dict(self) -> JsonObject:
        return {
            "seq": self.seq,
            "time": iso(self.time),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "api": self.api,
            "operation_id": self.operation_id,
            "api_key": self.api_key,
            "status": self.status,
            "conformant": self.conformant,
            "violations": self.violations,
            "warnings": self.warnings,
            "duration_ms": round(self.duration_ms, 3),
            "wall_time": round(self.wall_time, 6),
            "fault": self.fault,
            "fault_action": self.fault_action,
            "retry_after": self.retry_after,
            "lost_status": self.lost_status,
            "idempotency_key": self.idempotency_key,
            "created": self.created,
        }


class Journal:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._seq = 0
        #: entries that fell off the ring (cleared ones are not counted: they were not lost)
        self._dropped = 0

    def open(self, time: float, method: str, path: str, query: str,
             kind: type[JournalEntry] = JournalEntry) -> JournalEntry:
        self._seq += 1
        entry = kind(self._seq, time, method, path, query, wall_time=_wall())
        if len(self._entries) == self.capacity:
            self._dropped += 1  # the deque drops its oldest entry on append
        self._entries.append(entry)
        return entry

    @property
    def total(self) -> int:
        return self._seq

    @property
    def dropped(self) -> int:
        return self._dropped

    def entries(
        self,
        *,
        api_key: str | None = None,
        api: str | None = None,
        since: int = 0,
        nonconformant_only: bool = False,
    ) -> list[JournalEntry]:
        out = []
        for e in self._entries:
            if e.seq <= since:
                continue
            if api_key is not None and e.api_key != api_key:
                continue
            if api is not None and e.api != api:
                continue
            if nonconformant_only and e.conformant:
                continue
            out.append(e)
        return out

    def restart(self) -> None:
        """As at startup (a full reset): empty, and ``seq`` counts from 1 again."""
        self._entries.clear()
        self._seq = 0
        self._dropped = 0

    def clear(self, api_key: str | None = None) -> None:
        if api_key is None:
            self._entries.clear()
        else:
            kept = [e for e in self._entries if e.api_key != api_key]
            self._entries.clear()
            self._entries.extend(kept)
