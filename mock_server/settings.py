"""Runtime settings of one mock server instance (no I/O here)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from .limits import WEBHOOK_TIMEOUT_SECONDS
from .resources import data_dir


def is_loopback(host: str) -> bool:
    """``127.0.0.0/8``, ``::1`` or ``localhost``: only this machine can reach the server."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


#: Start of the virtual clock in ``--deterministic`` mode: 2026-01-01T00:00:00Z.
VIRTUAL_EPOCH = 1767225600.0


@dataclass(frozen=True)
class Settings:
    """Everything that changes how the mock behaves.

    ``deterministic`` fixes the clock (virtual, starting at 2026-01-01T00:00:00Z, moved only
    through ``POST /__mock/clock/advance``) so that no response depends on wall time.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    seed: int = 0
    deterministic: bool = False
    #: How long a job takes once it starts processing (virtual or wall seconds).
    job_seconds: float = 3.0
    #: Base URL written into generated URLs (uploads, outputs, signed URLs). ``None``: taken
    #: from each request's Host header, so the URLs work whatever port the server runs on.
    public_url: str | None = None
    journal_size: int = 10_000
    #: Where the fixtures and specs are read from (the installed package's copies by default).
    fixtures_dir: Path = field(default_factory=lambda: data_dir("fixtures"))
    openapi_dir: Path = field(default_factory=lambda: data_dir("openapi"))
    #: Fetch non-local ``image_url`` inputs for real (off by default: the mock never needs
    #: the network and renders a deterministic synthetic photo instead).
    fetch_remote: bool = False
    #: ``--allow-outbound``: addresses or networks the mock's own requests may reach although
    #: they are loopback, private, link-local, multicast or unspecified (``outbound.py``):
    #: ``--fetch-remote`` always, webhook deliveries when ``host`` is not loopback.
    outbound_allow: tuple[str, ...] = ()
    #: Real webhook deliveries: per-attempt timeout in seconds.
    webhook_timeout: float = WEBHOOK_TIMEOUT_SECONDS
    #: Tune the garbage collector for a long-running server (``stagemock serve`` sets it):
    #: see ``gc_policy``. Off for in-process use (tests), where the process is not ours.
    manage_gc: bool = False
    #: Worker processes for image work (output renders, HDR merges, Stager AI edits); 0 does
    #: it in the server process (same bytes, but the event loop waits for it).
    image_workers: int = 2
    #: Bearer token of the control plane (``/__mock/``). Only checked when ``host`` is not a
    #: loopback address, where the control plane is open as it is on ``127.0.0.1``.
    admin_token: str | None = None
    #: ``stagemock serve --lenient``: accept a request that breaks only rules the vendors'
    #: references do not state (``x-stagemock-guess`` in the specs), journaling each broken
    #: guess as a warning. Off: such a request is a 400 whose message says the rule is a guess.
    lenient: bool = False
    #: ``stagemock serve --fault SPEC``: fault rules set at startup, in their compact form
    #: (``mock_server.faults.models.parse_spec``); a full reset sets them again.
    faults: tuple[str, ...] = ()
    #: ``stagemock serve --rate-limit N/s``: a token bucket per key on the mock's clock; over
    #: it, 429 with ``Retry-After``. Off (``None``) by default: the references state no limit.
    rate_limit: str | None = None
    #: ``stagemock serve --record FILE``: every exchange with either API written to FILE in
    #: the proxy's recording format (``stagemock replay`` reads it).
    record: str | None = None

    @property
    def control_plane_needs_token(self) -> bool:
        return not is_loopback(self.host)
