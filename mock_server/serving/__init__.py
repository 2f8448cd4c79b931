"""The HTTP/1.1 protocol ``stagemock serve`` speaks: bytes in, ASGI calls out.

uvicorn still runs the process (sockets, lifespan, signals, graceful shutdown, the ``date``
header): it takes this class as its ``http`` protocol (``uvicorn.Config(http=HttpProtocol)``,
the constructor uvicorn gives its own protocols). Why not uvicorn's own: its per-request
bookkeeping (an ``asyncio.Event`` per request, the header regexes, the access-log check, two
socket writes per answer) costs as much CPU as the mock's whole request path (measurements:
``bench/RESULTS.md``). This one parses with the same ``httptools`` (llhttp) and writes the
status line, headers and a complete body in one write.

What it keeps of HTTP/1.1: keep-alive (``Connection: close`` and HTTP/1.0 honoured), request
bodies in any framing llhttp accepts (``Content-Length``, chunked) streamed to ``receive``
with read back-pressure, ``Expect: 100-continue`` answered when the app first reads,
pipelined requests answered in order, ``HEAD`` answered without a body, responses without a
``Content-Length`` sent chunked, a client that leaves seen as ``http.disconnect``, an idle
connection closed after uvicorn's ``timeout_keep_alive``, a malformed request answered with
uvicorn's 400 and closed (also when llhttp finds the error after the headers: a bad chunk
size, an unknown ``Transfer-Encoding``), ``limit_concurrency`` answered with uvicorn's 503,
response header names and values checked as uvicorn checks them, and a closed connection
freed by reference counting (``connection_lost`` breaks the parser's and the cycles' links
back to the protocol). No upgrades (the mock has no WebSocket): an upgrade request is
answered as plain HTTP, with uvicorn's warning. Each request's ``Cycle`` is also its
connection hook (``hook``: ``abort()``, ``truncate(n)``, in the scope's ``extensions``): that is
how a fault drops or cuts a connection, and how the proxy passes on an upstream's broken body.

It is held to uvicorn's own protocol tests: ``tests/serving/test_uvicorn_suite.py`` runs the
installed uvicorn's ``tests/protocols/test_http.py`` (from its sdist) against this class and
fails on any test stock httptools passes and this class does not, but for two listed
WebSocket-upgrade tests.
"""

from .connection import HttpProtocol
from .cycle import Cycle

__all__ = ["Cycle", "HttpProtocol"]
