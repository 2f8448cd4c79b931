"""Where the mock may connect on a caller's behalf: ``--fetch-remote`` downloads and, when the
mock listens off loopback, webhook deliveries. A mock shared on ``--host 0.0.0.0`` must not
become a way into the machine's or the network's internal services, so loopback, private,
link-local, multicast and unspecified addresses are refused unless ``--allow-outbound`` lists
them. The name of every hop (redirects included) is resolved once, checked, and the
connection made to that very address, so a name that resolves differently the second time
(DNS rebinding) gets no second chance."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``resolver(host, port)``: the addresses a name stands for (tests give a stub).
Resolver = Callable[[str, int], list[str]]

#: What is refused by default, checked in this order (loopback is private too in
#: ``ipaddress``: the more precise word comes first).
_KINDS: tuple[tuple[str, Callable[[IPAddress], bool]], ...] = (
    ("loopback", lambda ip: ip.is_loopback),
    ("link-local", lambda ip: ip.is_link_local),
    ("multicast", lambda ip: ip.is_multicast),
    ("unspecified", lambda ip: ip.is_unspecified),
    ("private", lambda ip: ip.is_private),
)
#: Redirects followed by a download at most.
MAX_REDIRECTS = 5
READ_SIZE = 64 * 1024


class Refused(Exception):
    """The target's address is not one the mock may reach (the message says why)."""


def system_resolver(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


@dataclass(frozen=True)
class AddressPolicy:
    """The refused kinds of address, and the networks allowed anyway (``--allow-outbound``)."""

    allow: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AddressPolicy:
        """``--allow-outbound`` values: addresses or CIDR networks (ValueError otherwise)."""
        nets = []
        for entry in entries:
            try:
                nets.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ValueError(f"--allow-outbound {entry!r}: give an address or a network "
                                 "such as 10.0.0.0/8 or 127.0.0.1") from None
        return cls(tuple(nets))

    def why_refused(self, address: str) -> str | None:
        """None when ``address`` may be reached, else the reason."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in net for net in self.allow):
            return None
        for kind, test in _KINDS:
            if test(ip):
                return (f"{address} is a {kind} address, which the mock does not reach unless "
                        "--allow-outbound lists it")
        return None

    def pin(self, host: str, port: int, resolver: Resolver | None = None) -> str:
        """The address to connect to for ``host``: every address it resolves to must pass
        (one refused address refuses the name: which one a client picks is not ours to
        know). Refused otherwise, or when the name does not resolve."""
        try:
            addresses = (resolver or system_resolver)(host, port)
        except OSError as exc:
            raise Refused(f"{host} does not resolve ({exc})") from None
        if not addresses:
            raise Refused(f"{host} does not resolve")
        for address in addresses:
            why = self.why_refused(address)
            if why is not None:
                shown = host if host == address else f"{host} ({address})"
                raise Refused(why.replace(address, shown, 1))
        return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to a checked address, the name kept for ``Host`` (and TLS)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(_PinnedHTTP):
    def connect(self) -> None:
        super().connect()
        context = ssl.create_default_context()  # the name's certificate, at the address
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


@dataclass(frozen=True)
class RemoteFetcher:
    """``--fetch-remote``: download an input image (``fetch(url) -> bytes | None``; picklable:
    it runs in the image workers). ``limit`` bytes at most, into one buffer that grows in
    place; redirects followed only to addresses the policy allows."""

    policy: AddressPolicy = AddressPolicy()
    limit: int = 20 * 1024 * 1024
    timeout: float = 10.0
    resolver: Resolver | None = None

    def __call__(self, url: str) -> bytes | None:
        try:
            return self.fetch(url)
        except (Refused, OSError, http.client.HTTPException, ValueError):
            return None  # the job renders a synthetic photo instead, as without the flag

    def fetch(self, url: str) -> bytes:
        """The body of a 200 at ``url`` (redirects followed); Refused, OSError or ValueError
        otherwise."""
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an http(s) URL: {url}")
            tls = parts.scheme == "https"
            port = parts.port or (443 if tls else 80)
            address = self.policy.pin(parts.hostname, port, self.resolver)
            kind = _PinnedHTTPS if tls else _PinnedHTTP
            conn = kind(parts.hostname, port, address, self.timeout)
            try:
                conn.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query
                                                           else ""),
                             headers={"User-Agent": "stagemock --fetch-remote",
                                      "Accept": "image/*"})
                response = conn.getresponse()
                location = response.getheader("location")
                if response.status in (301, 302, 303, 307, 308) and location:
                    url = urljoin(url, location)
                    continue
                if response.status != 200:
                    raise ValueError(f"{url} answered HTTP {response.status}")
                return self._read(response)
            finally:
                conn.close()
        raise ValueError(f"more than {MAX_REDIRECTS} redirects")

    def _read(self, response: http.client.HTTPResponse) -> bytes:
        declared = response.getheader("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            raise ValueError(f"{declared} bytes: over the {self.limit}-byte limit")
        buffer = bytearray()
        while chunk := response.read(READ_SIZE):
            if len(buffer) + len(chunk) > self.limit:
                raise ValueError(f"over the {self.limit}-byte limit")
            buffer += chunk
        return bytes(buffer)
