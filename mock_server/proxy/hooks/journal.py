"""The journal hook: each exchange as an entry of the proxy's journal (``GET
/__mock/journal``), opened when the request arrives (its ``seq`` numbers the flow, the
recording and the page alike) and completed with both verdicts when it is done."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...journal import Journal, JournalEntry
from ...jsontypes import JsonObject
from .. import redact
from . import Hook, ProxyFlow, ProxyOptions, register


@dataclass
class ProxyEntry(JournalEntry):
    """A journal entry of the proxy: the mock's fields (``conformant``/``violations`` are the
    request's verdict) plus the response's verdict and what was relayed."""

    response_conformant: bool = True
    response_violations: list[JsonObject] = field(default_factory=list)
    error: str | None = None
    request_size: int = 0
    request_sha256: str | None = None
    response_size: int = 0
    response_sha256: str | None = None
    first_byte_ms: float | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> JsonObject:
        out = super().as_dict()
        for name in ("fault", "fault_action", "retry_after", "lost_status", "idempotency_key",
                     "created"):
            out.pop(name, None)
        out.update(
            response_conformant=self.response_conformant,
            response_violations=self.response_violations,
            error=self.error,
            request_size=self.request_size,
            request_sha256=self.request_sha256,
            response_size=self.response_size,
            response_sha256=self.response_sha256,
            first_byte_ms=self.first_byte_ms,
            notes=self.notes,
        )
        return out


@register
class JournalHook(Hook):
    """Keeps the last ``journal_size`` exchanges, as ``/__mock/journal`` lists them."""

    name = "journal"
    order = 10

    def __init__(self, journal: Journal, api: str) -> None:
        self.journal = journal
        self.api = api

    @classmethod
    def build(cls, options: ProxyOptions) -> JournalHook:
        return cls(Journal(options.journal_size), options.api)

    def request(self, flow: ProxyFlow) -> None:
        entry = self.journal.open(flow.started_wall, flow.method, flow.path, flow.query,
                                  ProxyEntry)
        assert isinstance(entry, ProxyEntry)
        entry.api = self.api
        entry.operation_id = flow.operation_id
        entry.api_key = _key(flow.request_headers)
        flow.seq = entry.seq
        flow.metadata[self.name] = entry

    def done(self, flow: ProxyFlow) -> None:
        entry = flow.metadata.get(self.name)
        if not isinstance(entry, ProxyEntry):
            return
        entry.status = flow.client_status
        entry.duration_ms = (flow.finished or 0.0) * 1000
        entry.first_byte_ms = round(flow.first_byte * 1000, 3) if flow.first_byte else None
        entry.error = flow.error
        req = flow.request
        entry.request_size, entry.request_sha256 = req.size, req.digest if req.size else None
        entry.notes = flow.notes
        entry.violations = flow.request_violations
        entry.conformant = not entry.violations
        if flow.response is not None:
            entry.response_size = flow.response.size
            entry.response_sha256 = flow.response.digest if flow.response.size else None
            entry.response_violations = flow.response_violations
            entry.response_conformant = not entry.response_violations


def _key(headers: list[tuple[str, str]]) -> str | None:
    """The caller's key, masked (``redact``): StagePro's bearer token, else Stager AI's
    ``Stager-Api-Key``."""
    found = None
    for name, value in headers:
        lower = name.lower()
        if lower == "authorization":
            return redact.mask_key(value.partition(" ")[2])
        if lower == "stager-api-key" and found is None:
            found = redact.mask_key(value)
    return found
