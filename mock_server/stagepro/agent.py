"""StagePro AI design agent handlers: sessions, chat (JSON and SSE), render."""

from __future__ import annotations

from ..spec.router import Handler, not_implemented

HANDLERS: dict[str, Handler] = {
    op: not_implemented(op)
    for op in ("createAgentSession", "sendAgentMessage", "renderAgentSession")
}
