"""Where the pytest plugin's mock runs (``mock_server.pytest_plugin``): a port it was asked
to listen on, or a mock someone else started (``--stagemock-url``), and the one line a test
errors with when neither can be used. Imported with the plugin: nothing heavy here."""

from __future__ import annotations

import argparse
import errno
import os
import re
from typing import NoReturn

import pytest

from .argtypes import port_number
from .control import ControlPlane, ControlPlaneError
from .mounts import root_url


class Remote(ControlPlane):
    """A stagemock someone else started (``--stagemock-url``): its root URL or an API's base
    URL."""

    def __init__(self, url: str, token: str | None) -> None:
        super().__init__(root_url(url), token)

    def stop(self) -> None:
        self.close()


def refuse(request: pytest.FixtureRequest, message: str) -> NoReturn:
    """A setup problem of the plugin's (a port in use, a missing token): this test ERRORs
    with the one line ``message`` (no traceback) and the run stops after it, also under
    pytest-xdist, instead of every test repeating it."""
    request.session.shouldstop = message
    pytest.fail(message, pytrace=False)


def xdist_worker(config: pytest.Config) -> str | None:
    """``gw0``, ``gw1``, ... in a pytest-xdist worker; ``None`` otherwise."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return str(workerinput["workerid"])
    return os.environ.get("PYTEST_XDIST_WORKER") or None


def pinned_port(request: pytest.FixtureRequest, option: str, env: str) -> tuple[int, str]:
    """The port ``option`` (else ``$env``) pins, plus the xdist worker's number (gw0 +0, gw1
    +1, ...), and how to name it in a message; ``(0, "")``: nothing pinned, any free port."""
    port = request.config.getoption(option)
    source = option
    if port is None:
        raw = os.environ.get(env, "").strip()
        if not raw:
            return 0, ""
        try:
            port = port_number(raw)
        except argparse.ArgumentTypeError as exc:
            refuse(request, f"stagemock: ${env} {exc}")
        source = f"${env}"
    if port == 0:
        return 0, ""
    source = f"{source} {port}"
    worker = xdist_worker(request.config)
    if worker is not None:
        port += int(re.sub(r"\D", "", worker) or 0)
        source += f" + xdist worker {worker}"
        if port > 65535:
            refuse(request, f"stagemock: {source} is past 65535: pin a lower port")
    return port, source


#: Why binding a pinned port fails (in use, privileged, not this machine's): the user's to fix.
_BIND_ERRNOS = (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL)


def cannot_listen(port: int, source: str, exc: OSError, option: str) -> str:
    if not port or exc.errno not in _BIND_ERRNOS:
        raise exc
    why = "already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
    return (f"stagemock: cannot listen on 127.0.0.1:{port} ({source}): {why}; pick another "
            f"port, or leave {option} unset for a free one")


def remote_problem(remote: Remote, url: str, token_from: str | None) -> str | None:
    """Why the control plane of the mock at ``--stagemock-url`` cannot be used (one line),
    asked once before any test: ``None`` when it answers."""
    try:
        r = remote.request("GET", "health")
    except ControlPlaneError as exc:
        return f"stagemock: --stagemock-url {url}: {exc}"
    if r.status_code == 401:
        if token_from is None:
            return (f"stagemock: the control plane of the mock at {remote.url} needs its token: "
                    "pass --stagemock-token TOKEN or set $STAGEMOCK_ADMIN_TOKEN (the token "
                    "`stagemock serve` printed at startup, or its --admin-token)")
        return (f"stagemock: the control plane of the mock at {remote.url} refuses the token "
                f"of {token_from}: pass the one `stagemock serve` printed at startup, or its "
                "--admin-token")
    if r.status_code >= 400:
        return (f"stagemock: --stagemock-url {url}: GET {remote.url}/__mock/health answered "
                f"{r.status_code}: is a stagemock listening there?")
    return None
