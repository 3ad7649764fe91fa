"""Which URLs a webhook may reach (server-side request forgery): http or https only, and only hosts
whose every address is public, unless `PERMITFLOW_WEBHOOK_ALLOW_HOSTS` names the host or a network
of its addresses (e.g. a receiver in the bureau's own network, or 127.0.0.1 in tests).

The check runs when an admin subscribes and again before every attempt, and the connection goes to
the address that was checked (services/webhook_sending.py), so a name that later resolves to an
inner address (DNS rebinding) is refused then too. Redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.engine.messages import marked
from app.errors import InvalidData

# Marked: the delivery log says them in the page's language (services/webhook_errors.py).
BAD_URL = marked("is not an http:// or https:// URL with a host")
PRIVATE_URL = marked("reaches a private, loopback or link-local address (PERMITFLOW_WEBHOOK_ALLOW_HOSTS)")
UNRESOLVED_URL = marked("names a host that does not resolve")
TOO_LONG_URL = marked("is longer than 2000 characters")
NON_ASCII_URL = marked(
    "has characters outside ASCII: write the host in punycode (xn--) and percent-encode the path"
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (an address that passed the check) and what to ask for."""

    scheme: str
    host: str
    port: int
    address: str
    path: str


@dataclass(frozen=True)
class AllowList:
    names: frozenset[str]
    networks: tuple[Network, ...]

    @classmethod
    def parse(cls, setting: str) -> AllowList:
        names: set[str] = set()
        networks: list[Network] = []
        for entry in (e.strip() for e in setting.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                names.add(entry.lower().rstrip("."))
        return cls(frozenset(names), tuple(networks))

    def allows(self, host: str, address: Address) -> bool:
        inner = embedded_ipv4(address)
        if address.is_global and (inner is None or inner.is_global):
            return True
        return host in self.names or any(address in network for network in self.networks)


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64, IPv4-compatible), which
    is the one actually reached: Python counts some of these as global even when it is private."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64 or int(address) >> 32 == 0:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _refuse(message: str) -> InvalidData:
    return InvalidData(f"url {message}", {"url": [message]})


def parse_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an http(s) URL; InvalidData naming `url` otherwise."""
    if len(url) > 2000:
        raise _refuse(TOO_LONG_URL)
    if not url.isascii():  # http.client would fail on it at every attempt, never at the subscription
        raise _refuse(NON_ASCII_URL)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise _refuse(BAD_URL) from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower().rstrip(".")
    if scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise _refuse(BAD_URL)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or (443 if scheme == "https" else 80), path


def check(url: str, allow: str) -> Target:
    """The URL as a :class:`Target` when every address its host resolves to may be reached."""
    scheme, host, port, path = parse_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise _refuse(UNRESOLVED_URL) from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise _refuse(UNRESOLVED_URL)
    allowed = AllowList.parse(allow)
    if not all(allowed.allows(host, a) for a in addresses):
        raise _refuse(PRIVATE_URL)
    return Target(scheme, host, port, str(addresses[0]), path)
