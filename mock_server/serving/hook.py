"""The connection hook: what a request may do to its connection that ASGI cannot say.

ASGI gives an application no socket, yet a fault must drop a connection (a reset) or cut an
answer short, and the proxy must pass on an upstream's broken body as broken. WireMock gives
its faults a typed injector for this; here the server offers one per request, in the scope's
``extensions`` (ASGI's place for server extensions) under ``EXTENSION``:

- ``abort()``: the connection is dropped at once, nothing more is written (the client sees a
  reset, or a connection closed before any answer);
- ``truncate(length)``: the answer's body stops after ``length`` bytes and the connection
  closes; if that many bytes are already written, it closes now, after them.

After either, the request's later ``send`` calls are dropped, as for a client that left.

``stagemock serve`` and the plugin's server (``mock_server.serving.Cycle``) offer it. Another
server does not: stock uvicorn (``uvicorn mock_server.app:...``) or an in-process ASGI client
(httpx's ``ASGITransport``, Starlette's ``TestClient``). There ``connection_of`` gives
``Unhooked``, whose methods raise ``NoSocket`` saying so: the request ends with that exception,
which stock uvicorn turns into a closed connection (after a 500 if nothing was sent yet) and an
in-process client raises to the test.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, cast

#: The key of ``scope["extensions"]`` holding the request's ``ConnectionHook``.
EXTENSION = "stagemock.connection"


class NoSocket(ConnectionError):
    """A connection fault asked of a server that offers no connection hook."""


class ConnectionHook(Protocol):
    """What a request may do to its connection (see the module's docstring)."""

    def abort(self) -> None: ...

    def truncate(self, length: int) -> None: ...


class Unhooked:
    """The hook of a server that offers none: each method raises ``NoSocket``."""

    __slots__ = ()

    def abort(self) -> None:
        raise NoSocket("stagemock: this server gives the app no socket, so the connection "
                       "cannot be dropped; the request fails with this exception instead "
                       "(run the mock with `stagemock serve` or the plugin for a real reset)")

    def truncate(self, length: int) -> None:
        raise NoSocket(f"stagemock: this server gives the app no socket, so the answer cannot "
                       f"be cut after {length} bytes; the request fails with this exception "
                       f"instead (run the mock with `stagemock serve` or the plugin)")


UNHOOKED = Unhooked()


def connection_of(scope: Mapping[str, object]) -> ConnectionHook:
    """The request's connection hook, or ``UNHOOKED`` when its server offers none."""
    extensions = scope.get("extensions")
    if isinstance(extensions, dict):
        hook = extensions.get(EXTENSION)
        if hook is not None:
            return cast(ConnectionHook, hook)
    return UNHOOKED
