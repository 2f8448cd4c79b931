"""``stagemock proxy``: a validating, recording reverse proxy in front of a real API (or any
server that claims to be one). Pure ASGI, no Starlette: every byte is relayed as it comes,
both ways (an upload is never held whole; an SSE stream goes out event by event), and each
exchange is journaled with two verdicts, the client's request against the spec and the
upstream's response against the spec, at the proxy's own ``/__mock/journal`` and
``/__mock/ui``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson
from starlette.types import Receive, Scope, Send

from ..errors import ApiError, BadGateway, GatewayTimeout, stagepro_shape, stagerai_shape
from ..journal import Journal, JournalEntry
from ..jsontypes import Json, JsonObject
from ..resources import data_dir
from ..serving.hook import connection_of
from ..spec.loader import load_spec
from . import redact
from .flow import CAPTURE_LIMIT, Exchange, MultipartTap, Tap, capture_for
from .lifecycle import STATUS_FIELDS, Lifecycles, object_key
from .recorders import recorder
from .signed import SignedUrls
from .upstream import Response, Upstream, UpstreamError, UpstreamTimeout
from .verdicts import OperationRules, SpecIndex

#: Never forwarded: they describe one connection, not the message (RFC 9110 §7.6.1).
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
                        "proxy-authorization", "te", "trailer", "transfer-encoding",
                        "upgrade", "host"})
NO_BODY_DROPPED = HOP_BY_HOP | {"content-length"}
SHAPES = {"stagepro": stagepro_shape, "stagerai": stagerai_shape}
CATCH_ALL = {"stagerai": frozenset({"object"})}
UI = Path(__file__).with_name("ui")


class ClientGone(Exception):
    """The client disconnected while its body was being relayed."""


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


class Proxy:
    """The ASGI app of one ``stagemock proxy``."""

    def __init__(self, api: str, upstream: str, record: str | Path | None = None,
                 timeout: float = 60.0, journal_size: int = 10_000,
                 openapi_dir: Path | None = None, ca_bundle: str | None = None) -> None:
        if api not in SHAPES:
            raise ValueError(f"no API named {api!r}: stagepro or stagerai")
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"--upstream {upstream!r}: give an http(s) URL, e.g. "
                             "https://api.example.com/api/v1")
        self.api = api
        self.upstream = upstream.rstrip("/")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path.rstrip("/")
        spec_file = (openapi_dir or data_dir("openapi")) / f"{api}.yaml"
        self.spec = load_spec(api, spec_file, self.base_path, CATCH_ALL.get(api, frozenset()))
        self.index = SpecIndex(self.spec)
        self.lifecycles = Lifecycles()
        self.journal = Journal(journal_size)
        self.recorder = (recorder(record, api, self.upstream, self.base_path)
                         if record else None)
        self.timeout = timeout
        self.client = Upstream(self.origin, timeout, ca_bundle=ca_bundle)
        #: recording: signed upload URLs rerouted through the proxy (their PUTs recorded)
        self.signed = SignedUrls(self.spec, self.origin, timeout, ca_bundle) if record else None

    # ASGI ---------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"].startswith("/__mock/"):
            await self._control(scope, receive, send)
            return
        await self._relay(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.client.close()
                if self.signed is not None:
                    await self.signed.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # the relay ---------------------------------------------------------------------------
    async def _relay(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        method, path = scope["method"], scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        entry = self.journal.open(time.time(), method, path, query, ProxyEntry)
        assert isinstance(entry, ProxyEntry)
        entry.api = self.api
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        lower = {k.lower(): v for k, v in headers}
        rules, _ = self.index.match(method, path)
        entry.operation_id = rules.operation.operation_id if rules else None
        entry.api_key = _key(lower)
        spool = self.recorder.spool_dir if self.recorder else None
        content_type = lower.get("content-type", "")
        flow = Exchange(entry.seq, method, path, query, headers, time.time(),
                        Tap(spool, capture_for(content_type)), operation_id=entry.operation_id,
                        api=self.api)
        if content_type.lower().startswith("multipart/form-data"):
            flow.request.multipart = MultipartTap(content_type)
        has_body = lower.get("content-length", "0") != "0" or "transfer-encoding" in lower

        async def body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ClientGone()
                chunk = message.get("body", b"")
                flow.request.feed(chunk)
                if chunk:
                    yield chunk
                if not message.get("more_body", False):
                    return

        forward = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        target = (scope.get("raw_path") or path.encode()).decode("latin-1") + (
            f"?{query}" if query else "")
        routed = self.signed.route(path, target) if self.signed is not None else None
        client, target = routed if routed is not None else (self.client, target)
        try:
            response = await client.send(method, target, forward, body() if has_body else None)
        except ClientGone:
            flow.error = "the client disconnected before its body was sent"
            entry.status = 499
            self._finish(flow, entry, started, rules)
            return
        except UpstreamTimeout as exc:
            await self._upstream_failed(scope, send, flow, entry, started, rules,
                                        GatewayTimeout, str(exc))
            return
        except UpstreamError as exc:
            await self._upstream_failed(scope, send, flow, entry, started, rules, BadGateway,
                                        f"unreachable ({exc})")
            return
        flow.request.close(complete=True)
        flow.first_byte = time.perf_counter() - started
        flow.status = entry.status = response.status
        flow.response_headers = [(k.decode("latin-1"), v.decode("latin-1"))
                                 for k, v in response.headers]
        flow.response = Tap(spool, capture_for(response.header("content-type")))
        # A 204 or 304 may carry a Content-Length (the length a 200 would have had); ASGI
        # servers refuse to send one without its body, so it is left out of the relayed
        # headers (the journal and the recording keep it).
        dropped = NO_BODY_DROPPED if response.status in (204, 304) else HOP_BY_HOP
        out_headers = [(k, v) for k, v in response.headers
                       if k.decode("latin-1").lower() not in dropped]
        if self.signed is not None and self.signed.wants(
                entry.operation_id, response.status, response.header("content-length"),
                response.header("content-encoding")):
            await self._rewritten(send, response, out_headers, flow, lower.get("host"))
            self._finish(flow, entry, started, rules)
            return
        await send({"type": "http.response.start", "status": response.status,
                    "headers": out_headers})
        complete = ended = False
        try:
            async for chunk in response.body():
                flow.response.feed(chunk)
                ended = response.ended
                await send({"type": "http.response.body", "body": chunk,
                            "more_body": not ended})
            complete = True
        except (UpstreamError, OSError) as exc:
            flow.error = f"the upstream broke off mid-body ({exc})"
        finally:
            await response.close()
            flow.response.close(complete=complete)
        if complete and not ended:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        self._finish(flow, entry, started, rules)
        if not complete:  # the client sees the body cut, as it was
            connection_of(scope).truncate(flow.response.size)

    async def _rewritten(self, send: Send, response: Response,
                         headers: list[tuple[bytes, bytes]], flow: Exchange,
                         host: str | None) -> None:
        """An answer issuing signed URLs, read whole and relayed with each URL through the
        proxy (``signed``), so the client's uploads come here and are recorded."""
        assert self.signed is not None and flow.response is not None
        try:
            body = b"".join([chunk async for chunk in response.body()])
        except (UpstreamError, OSError) as exc:
            flow.error = f"the upstream broke off mid-body ({exc})"
            body = b""
        finally:
            await response.close()
        if flow.error is None:
            body = self.signed.rewrite(body, f"http://{host or '127.0.0.1'}")
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        flow.response.feed(body)
        flow.response.close(complete=flow.error is None)
        await send({"type": "http.response.start", "status": response.status,
                    "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _upstream_failed(self, scope: Scope, send: Send, flow: Exchange,
                               entry: ProxyEntry, started: float,
                               rules: OperationRules | None, kind: type[ApiError],
                               why: str) -> None:
        flow.request.close(complete=False)
        err = kind(f"stagemock proxy: the upstream {self.upstream} gave no answer: {why}")
        body = orjson.dumps(SHAPES[self.api](err))
        flow.error = err.message
        entry.status = err.status
        await send({"type": "http.response.start", "status": err.status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"x-stagemock-proxy", b"upstream-error")]})
        await send({"type": "http.response.body", "body": body})
        self._finish(flow, entry, started, rules)

    def _finish(self, flow: Exchange, entry: ProxyEntry, started: float,
                rules: OperationRules | None) -> None:
        flow.finished = time.perf_counter() - started
        entry.duration_ms = flow.finished * 1000
        entry.first_byte_ms = round(flow.first_byte * 1000, 3) if flow.first_byte else None
        entry.error = flow.error
        req = flow.request
        entry.request_size, entry.request_sha256 = req.size, req.digest if req.size else None
        lower = {k.lower(): v for k, v in flow.request_headers}
        form = None
        multipart = req.multipart
        if multipart is not None:
            if multipart.error:
                entry.notes.append(multipart.error)
            form = multipart.as_form()
        if req.size > 0 and req.body is None and multipart is None \
                and capture_for(lower.get("content-type")) == CAPTURE_LIMIT:
            entry.notes.append(f"request body of {req.size} bytes: past the capture limit, "
                               "not validated")
        entry.violations = [_redacted(v) for v in self.index.check_request(
            rules, flow.method, flow.path, parse_qs(flow.query, keep_blank_values=True),
            lower, req.body, req.complete, form)]
        entry.conformant = not entry.violations
        if flow.response is not None:
            resp = flow.response
            entry.response_size = resp.size
            entry.response_sha256 = resp.digest if resp.size else None
            response_headers = {k.lower(): v for k, v in flow.response_headers}
            entry.response_violations = [_redacted(v) for v in self.index.check_response(
                rules, flow.status or 0, response_headers, resp.body, resp.complete)]
            if rules is not None and any(v.get("field") in STATUS_FIELDS
                                         for v in entry.response_violations):
                self._lifecycle(flow, rules, entry.response_violations)
            entry.response_conformant = not entry.response_violations
        if self.recorder is not None:
            self.recorder.write(flow, {
                "request": {"conformant": entry.conformant, "violations": entry.violations},
                "response": {"conformant": entry.response_conformant,
                             "violations": entry.response_violations},
            })
        else:
            req.discard()
            if flow.response is not None:
                flow.response.discard()

    def _lifecycle(self, flow: Exchange, rules: OperationRules,
                   violations: list[JsonObject]) -> None:
        """An unlisted status after another one for the same object (``lifecycle``)."""
        resp = flow.response
        try:
            body = orjson.loads(resp.body) if resp is not None and resp.body else None
        except orjson.JSONDecodeError:
            return
        schema = self.index.success_schema(rules)
        source = self.index.book.listed_source(schema, "status") if schema else None
        self.lifecycles.see(object_key(flow.method, flow.path, body), body, violations, source)

    # /__mock/ ----------------------------------------------------------------------------
    async def _control(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if path == "/__mock/journal" and method == "GET":
            since = int((params.get("since") or ["0"])[-1] or 0)
            only_bad = (params.get("nonconformant") or ["false"])[-1] == "true"
            entries = [e for e in self.journal.entries(since=since)
                       if not only_bad or not e.conformant
                       or not getattr(e, "response_conformant", True)]
            await _json(send, {"entries": [e.as_dict() for e in entries],
                               "total": self.journal.total, "dropped": self.journal.dropped,
                               "capacity": self.journal.capacity})
        elif path == "/__mock/journal" and method == "DELETE":
            self.journal.clear()
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
        elif path == "/__mock/health" and method == "GET":
            await _json(send, {"status": "ok", "mode": "proxy", "api": self.api,
                               "upstream": self.upstream, "base_path": self.base_path or "/",
                               "recording": str(self.recorder.path) if self.recorder else None})
        elif path in ("/__mock/ui", "/__mock/ui/") and method == "GET":
            await _file(send, UI / "index.html", "text/html; charset=utf-8")
        elif path == "/__mock/ui/proxy.js" and method == "GET":
            await _file(send, UI / "proxy.js", "text/javascript; charset=utf-8")
        else:
            await _json(send, stagepro_shape(ApiError(
                f"the proxy's control plane has no {method} {path} (it serves /__mock/journal, "
                "/__mock/health and /__mock/ui)", status=404, code="not_found")), 404)


def _key(headers: dict[str, str]) -> str | None:
    if "authorization" in headers:
        return redact.mask_key(headers["authorization"].partition(" ")[2])
    if "stager-api-key" in headers:
        return redact.mask_key(headers["stager-api-key"])
    return None


def _redacted(violation: JsonObject) -> JsonObject:
    return {k: redact.text(v) if isinstance(v, str) else v for k, v in violation.items()}


async def _json(send: Send, body: Json, status: int = 200) -> None:
    data = orjson.dumps(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


async def _file(send: Send, path: Path, media: str) -> None:
    data = path.read_bytes()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", media.encode()),
                            (b"content-length", str(len(data)).encode()),
                            (b"content-security-policy",
                             b"default-src 'self'; style-src 'self' 'unsafe-inline'; "
                             b"img-src data:")]})
    await send({"type": "http.response.body", "body": data})
