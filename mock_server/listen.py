"""The listening socket of the long-running commands (``stagemock serve``, ``stagemock
proxy``), bound before uvicorn starts so a taken port is one plain line, not a traceback.

A leaf (the standard library only): ``cli`` and ``proxy.cli`` both use it, so neither command
module imports the other (``tests/test_imports.py`` refuses such a cycle).
"""

from __future__ import annotations

import errno
import socket


def bind(host: str, port: int, command: str = "stagemock serve") -> socket.socket | str:
    """The listening socket, or one line saying why not and what to do (``command`` is the
    command line the advice repeats with the next port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            return (f"stagemock: {host}:{port} is already in use (another stagemock?); stop it "
                    f"or pick another port: {command} --port {port + 1}")
        return f"stagemock: cannot listen on {host}:{port}: {exc.strerror or exc}"
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
