"""A small async StagePro client over HTTP (httpx): the MCP tools' only way to the API.

Every failure becomes an ``ApiCallError`` carrying the API's ``error.code``, message and
field, or a transport code (``connection_error``, ``timeout``) with one clear sentence;
every request has a bounded timeout.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Unpack
from urllib.parse import urlsplit

import httpx

from ..control import OPERATIONS, ControlPlane, ControlPlaneError, RequestOptions
from ..jsontypes import Json, JsonObject
from ..mounts import base_url

if TYPE_CHECKING:
    from httpx._types import RequestFiles

DEFAULT_BASE_URL = base_url("http://127.0.0.1:8000", "stagepro")
#: Long edge of the images returned to the model (context size).
PREVIEW_EDGE = 512


def field_words(field: object) -> str:
    """An error's ``field`` in words: a choice between fields (the API sends a list) reads
    ``input.image_url or input.upload_id``."""
    if isinstance(field, (list, tuple)):
        return " or ".join(str(f) for f in field)
    return str(field)


@dataclass(eq=False)  # an exception stays hashable
class ApiCallError(Exception):
    status: int | None  # None: no HTTP answer (connection refused, timeout, bad URL)
    code: str
    message: str
    field: str | list[str] | None = None
    details: list[JsonObject] = dataclasses.field(default_factory=list)

    def __str__(self) -> str:
        head = f"StagePro API error {self.status}" if self.status else "StagePro unreachable"
        text = f"{head} [{self.code}]: {self.message}"
        if self.field:
            text += f" (field: {field_words(self.field)})"
        extra = [d for d in self.details if d.get("field") != self.field]
        if extra:
            text += "; also: " + "; ".join(
                f"{field_words(d.get('field'))}: {d.get('message')}" for d in extra[:5]
            )
        return text


class ControlPlaneRefused(ApiCallError):
    """The mock's control plane (``/__mock/``) answered an error: said in words, not as the
    StagePro API's error (it is not part of that API)."""

    def __str__(self) -> str:
        text = f"the mock's control plane refused: {self.message}"
        if self.field and f"`{field_words(self.field)}`" not in self.message:
            text += f" (field: {field_words(self.field)})"
        return text


class StageProClient:
    def __init__(self, base_url: str, api_key: str | None, timeout: float = 30.0,
                 mock_extras: bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        parts = urlsplit(self.base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
        self._http: httpx.AsyncClient | None = None
        self._is_mock: bool | None = None
        self._not_mock_until = 0.0
        self.mock_extras = mock_extras  # False: never probe /__mock/
        self._control_plane: ControlPlane | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout, connect=5.0), follow_redirects=False
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        if self._control_plane is not None:
            self._control_plane.close()
            self._control_plane = None

    def _headers(self) -> dict[str, str]:
        h = {"accept": "application/json", "user-agent": "stagemock-mcp"}
        if self.api_key:
            h["authorization"] = f"Bearer {self.api_key}"
        return h

    async def _send(self, method: str, url: str,
                    **kwargs: Unpack[RequestOptions]) -> httpx.Response:
        if not self.origin:
            raise ApiCallError(None, "bad_base_url", f"STAGEPRO_BASE_URL {self.base_url!r} is "
                               "not an absolute http(s) URL such as http://127.0.0.1:8000/api/v1")
        try:
            return await self.http.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise ApiCallError(None, "timeout", f"no answer from {url} within "
                               f"{self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise ApiCallError(None, "connection_error", f"cannot reach {self.base_url} "
                               f"({type(exc).__name__}: {exc or 'no detail'}); is the server "
                               "running and STAGEPRO_BASE_URL right?") from None

    async def request(
        self, method: str, path: str, *, json: Json = None, params: JsonObject | None = None,
        files: RequestFiles | None = None,
    ) -> Json:
        """Call ``method base_url+path``; the decoded JSON body, or ``ApiCallError``."""
        kwargs: RequestOptions = {"headers": self._headers()}
        if json is not None:
            kwargs["json"] = json
        if params:
            kwargs["params"] = {k: v for k, v in params.items() if v is not None}
        if files is not None:
            kwargs["files"] = files
        r = await self._send(method, self.base_url + path, **kwargs)
        try:
            data = r.json()
        except ValueError:
            data = None
        if r.status_code >= 400:
            err = data.get("error") if isinstance(data, dict) else None
            if isinstance(err, dict):
                raise ApiCallError(
                    r.status_code, str(err.get("code") or "error"),
                    str(err.get("message") or r.reason_phrase), err.get("field"),
                    list(err.get("details") or []),
                )
            raise ApiCallError(r.status_code, "http_error", f"{r.reason_phrase}: "
                               f"{r.text[:200] or 'empty body'} (is {self.base_url} a StagePro "
                               "base URL?)")
        if data is None:
            raise ApiCallError(r.status_code, "invalid_response",
                               f"{method} {path} answered {r.status_code} without JSON "
                               f"(is {self.base_url} a StagePro base URL?)")
        return data

    # mock-aware extras ------------------------------------------------------------------
    # Through the package's one control-plane client (``mock_server.control``), in a thread:
    # it is synchronous, and the MCP server's event loop must never wait on a socket.
    @property
    def control_plane(self) -> ControlPlane:
        if self._control_plane is None:
            self._control_plane = ControlPlane(self.origin, timeout=self.timeout)
        return self._control_plane

    async def _control_request(self, operation: str, ids: dict[str, str] | None = None,
                               **kwargs: Unpack[RequestOptions]) -> httpx.Response:
        return await asyncio.to_thread(self.control_plane.send, operation, ids, **kwargs)

    async def is_mock(self) -> bool:
        """True when the server has stagemock's control plane (``GET /__mock/health``); a
        positive answer is remembered, a negative one for 30 s (the server may start later)."""
        if self._is_mock:
            return True
        if not self.mock_extras or not self.origin or time.monotonic() < self._not_mock_until:
            return False
        try:
            r = await self._control_request("getHealth", timeout=2.0)
            self._is_mock = r.status_code == 200 and isinstance(r.json(), dict)
        except (ControlPlaneError, httpx.HTTPError, ValueError):
            self._is_mock = False
        if not self._is_mock:
            self._not_mock_until = time.monotonic() + 30.0
        return self._is_mock

    async def control(self, operation: str, ids: dict[str, str] | None = None,
                      **kwargs: Unpack[RequestOptions]) -> Json:
        """The control-plane operation ``operation`` (an ``operationId`` the package's client
        knows: ``mock_server.control.OPERATIONS``), its path parameters from ``ids``; an error
        said in words."""
        path = OPERATIONS[operation].path.format(**(ids or {}))
        try:
            r = await self._control_request(operation, ids, **kwargs)
        except ControlPlaneError as exc:
            raise ApiCallError(None, "connection_error", str(exc)) from None
        except httpx.TimeoutException:
            raise ApiCallError(None, "timeout", f"no answer from {self.origin}/__mock/{path} "
                               f"within {self.timeout:g} s") from None
        if r.status_code >= 400:
            try:
                err = r.json().get("error")
            except (ValueError, AttributeError):
                err = None
            if isinstance(err, dict) and err.get("message"):
                raise ControlPlaneRefused(r.status_code, str(err.get("code") or "error"),
                                          str(err["message"]), err.get("field"))
            raise ControlPlaneRefused(r.status_code, "http_error", f"HTTP {r.status_code} "
                                      f"{r.reason_phrase} on /__mock/{path}")
        return r.json() if r.content else None  # 204: nothing to decode

    # images ---------------------------------------------------------------------------
    async def preview(self, url: str) -> bytes:
        """The image at ``url`` as a JPEG whose long edge is at most ``PREVIEW_EDGE``."""
        r = await self._send("GET", url, headers={"user-agent": "stagemock-mcp"})
        if r.status_code >= 400:
            raise ApiCallError(r.status_code, "image_fetch_failed", f"GET {url}")
        return shrink(r.content)


def shrink(data: bytes, edge: int = PREVIEW_EDGE) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as source:
        im = source.convert("RGB")
        im.thumbnail((edge, edge))
        out = io.BytesIO()
        im.save(out, format="JPEG", quality=80)
        return out.getvalue()
