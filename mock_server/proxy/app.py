"""``stagemock proxy``: a validating, recording reverse proxy in front of a real API (or any
server that claims to be one). Pure ASGI: every byte is relayed as it comes, both ways (an
upload is never held whole; an SSE stream goes out event by event). Each exchange is one
flow (``hooks.ProxyFlow``) handed to the proxy's hooks, as mitmproxy hands its flows to
addons: the journal (``/__mock/journal``, ``/__mock/ui``), the two verdicts (the client's
request and the upstream's response against the spec), the lifecycle judgement and the
recording are hooks (``mock_server.proxy.hooks``); the relay knows none of them. The
control plane (``/__mock/``) is served from ``openapi/proxy-admin.yaml`` (``control``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import orjson
from starlette.types import Receive, Scope, Send

from ..errors import (
    ApiError,
    BadGateway,
    GatewayTimeout,
    NotFound,
    stagepro_shape,
    stagerai_shape,
)
from ..jsontypes import JsonObject
from ..resources import data_dir
from ..serving.hook import connection_of
from ..spec.loader import load_spec
from . import control
from .control import ControlCall, ControlPlane
from .flow import Tap, capture_for
from .hooks import Hook, ProxyFlow, ProxyOptions, default_hooks, overriding
from .hooks.journal import JournalHook
from .signed import SignedUrls
from .upstream import Response, Upstream, UpstreamError, UpstreamTimeout
from .verdicts import SpecIndex

log = logging.getLogger("stagemock")

#: Never forwarded: they describe one connection, not the message (RFC 9110 §7.6.1).
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
                        "proxy-authorization", "te", "trailer", "transfer-encoding",
                        "upgrade", "host"})
NO_BODY_DROPPED = HOP_BY_HOP | {"content-length"}
SHAPES = {"stagepro": stagepro_shape, "stagerai": stagerai_shape}
CATCH_ALL = {"stagerai": frozenset({"object"})}
UI = Path(__file__).with_name("ui")
#: The page's files, by the name ``/__mock/ui/{asset}`` takes.
ASSETS = {"proxy.js": "text/javascript; charset=utf-8"}


class ClientGone(Exception):
    """The client disconnected while its body was being relayed."""


class Proxy:
    """The ASGI app of one ``stagemock proxy``. ``hooks``: hooks of the caller's own, called
    after the default ones (``hooks.default_hooks``, built from the other options)."""

    def __init__(self, api: str, upstream: str, record: str | Path | None = None,
                 timeout: float = 60.0, journal_size: int = 10_000,
                 openapi_dir: Path | None = None, ca_bundle: str | None = None,
                 hooks: Sequence[Hook] = ()) -> None:
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
        self.record = Path(record) if record else None
        specs = openapi_dir or data_dir("openapi")
        self.spec = load_spec(api, specs / f"{api}.yaml", self.base_path,
                              CATCH_ALL.get(api, frozenset()))
        self.index = SpecIndex(self.spec)
        self.hooks = [*default_hooks(ProxyOptions(api, self.upstream, self.base_path,
                                                  self.index, self.record, journal_size)),
                      *hooks]
        self.journal = next(h.journal for h in self.hooks if isinstance(h, JournalHook))
        self._on = {event: [(h.name or type(h).__name__, getattr(h, event))
                            for h in overriding(self.hooks, event)]
                    for event in ("request", "response", "done")}
        self.timeout = timeout
        self.client = Upstream(self.origin, timeout, ca_bundle=ca_bundle)
        #: recording: signed upload URLs rerouted through the proxy (their PUTs recorded)
        self.signed = SignedUrls(self.spec, self.origin, timeout, ca_bundle) if record else None
        self.control = ControlPlane(specs / "proxy-admin.yaml", {
            "getProxyJournal": self._get_journal,
            "clearProxyJournal": self._clear_journal,
            "getProxyHealth": self._health,
            "getProxyPage": self._page,
            "getProxyPageAsset": self._asset,
        })

    # ASGI ---------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"].startswith("/__mock/"):
            await self.control(scope, send)
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
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        lower = {k.lower(): v for k, v in headers}
        rules, params = self.index.match(method, path)
        flow = ProxyFlow(0, method, path, query, headers, time.time(),
                         Tap(None, capture_for(lower.get("content-type"))),
                         operation_id=rules.operation.operation_id if rules else None,
                         api=self.api, rules=rules, path_params=params)
        self._call("request", flow)
        if flow.spool_dir is not None:
            flow.request.spool(flow.spool_dir)
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
            flow.client_status = 499
            self._finish(flow, started)
            return
        except UpstreamTimeout as exc:
            await self._upstream_failed(send, flow, started, GatewayTimeout, str(exc))
            return
        except UpstreamError as exc:
            await self._upstream_failed(send, flow, started, BadGateway,
                                        f"unreachable ({exc})")
            return
        flow.request.close(complete=True)
        flow.first_byte = time.perf_counter() - started
        flow.status = flow.client_status = response.status
        flow.response_headers = [(k.decode("latin-1"), v.decode("latin-1"))
                                 for k, v in response.headers]
        flow.response = Tap(flow.spool_dir, capture_for(response.header("content-type")))
        # A 204 or 304 may carry a Content-Length (the length a 200 would have had); ASGI
        # servers refuse to send one without its body, so it is left out of the relayed
        # headers (the journal and the recording keep it).
        dropped = NO_BODY_DROPPED if response.status in (204, 304) else HOP_BY_HOP
        out_headers = [(k, v) for k, v in response.headers
                       if k.decode("latin-1").lower() not in dropped]
        if self.signed is not None and self.signed.wants(
                flow.operation_id, response.status, response.header("content-length"),
                response.header("content-encoding")):
            await self._rewritten(send, response, out_headers, flow, lower.get("host"))
            self._finish(flow, started)
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
        self._finish(flow, started)
        if not complete:  # the client sees the body cut, as it was
            connection_of(scope).truncate(flow.response.size)

    async def _rewritten(self, send: Send, response: Response,
                         headers: list[tuple[bytes, bytes]], flow: ProxyFlow,
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

    async def _upstream_failed(self, send: Send, flow: ProxyFlow, started: float,
                               kind: type[ApiError], why: str) -> None:
        flow.request.close(complete=False)
        err = kind(f"stagemock proxy: the upstream {self.upstream} gave no answer: {why}")
        body = orjson.dumps(SHAPES[self.api](err))
        flow.error = err.message
        flow.client_status = err.status
        await send({"type": "http.response.start", "status": err.status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"x-stagemock-proxy", b"upstream-error")]})
        await send({"type": "http.response.body", "body": body})
        self._finish(flow, started)

    # the hooks ---------------------------------------------------------------------------
    def _finish(self, flow: ProxyFlow, started: float) -> None:
        """The exchange is over: the hooks judge it, then keep it; a body a hook spooled and
        left is removed."""
        flow.finished = time.perf_counter() - started
        self._call("response", flow)
        self._call("done", flow)
        flow.request.discard()
        if flow.response is not None:
            flow.response.discard()

    def _call(self, event: str, flow: ProxyFlow) -> None:
        """Every hook's ``event`` on ``flow``; a hook that fails is logged and the exchange
        goes on (as mitmproxy does with an addon's error): the client never pays for it."""
        calls: list[tuple[str, Callable[[ProxyFlow], None]]] = self._on[event]
        for name, call in calls:
            try:
                call(flow)
            except Exception:
                log.exception("proxy hook %s failed on %s of %s %s", name, event,
                              flow.method, flow.path)
                flow.notes.append(f"the {name} hook failed on this exchange ({event})")

    # /__mock/ (openapi/proxy-admin.yaml) -------------------------------------------------
    async def _get_journal(self, call: ControlCall, send: Send) -> None:
        since = call.query.get("since", 0)
        only_bad = call.query.get("nonconformant", False) is True
        entries = [e for e in self.journal.entries(since=since if isinstance(since, int) else 0)
                   if not only_bad or not e.conformant
                   or not getattr(e, "response_conformant", True)]
        await control.json(send, {"entries": [e.as_dict() for e in entries],
                                  "total": self.journal.total, "dropped": self.journal.dropped,
                                  "capacity": self.journal.capacity})

    async def _clear_journal(self, call: ControlCall, send: Send) -> None:
        self.journal.clear()
        await control.no_content(send)

    async def _health(self, call: ControlCall, send: Send) -> None:
        sections: JsonObject = {}
        for hook in self.hooks:
            section = hook.health()
            if section is not None:
                sections[hook.name or type(hook).__name__] = section
        await control.json(send, {"status": "ok", "mode": "proxy", "api": self.api,
                                  "upstream": self.upstream,
                                  "base_path": self.base_path or "/",
                                  "recording": str(self.record) if self.record else None,
                                  "hooks": sections})

    async def _page(self, call: ControlCall, send: Send) -> None:
        await control.file(send, UI / "index.html", "text/html; charset=utf-8")

    async def _asset(self, call: ControlCall, send: Send) -> None:
        name = str(call.path["asset"])
        if name not in ASSETS:
            await control.error(send, NotFound(f"the proxy's page has no asset {name!r} "
                                               f"(it has {', '.join(ASSETS)})"))
            return
        await control.file(send, UI / name, ASSETS[name])
