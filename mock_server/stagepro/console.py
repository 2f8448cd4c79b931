"""StagePro developer-console handlers (session-cookie auth): API keys and webhook endpoints."""

from __future__ import annotations

from ..spec.router import Handler, not_implemented

HANDLERS: dict[str, Handler] = {
    op: not_implemented(op) for op in ("listKeys", "createKey", "listWebhooks", "createWebhook")
}
