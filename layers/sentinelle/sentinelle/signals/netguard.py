"""SSRF guard: online checks reach only public http(s) addresses, pinned to the address checked."""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Callable, Iterable

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]  # host, port -> IP address strings

ALLOWED_SCHEMES = ("http", "https")
# 6to4 and NAT64 addresses carry an IPv4 address inside: that one is judged too.
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddress(ValueError):
    """A URL the guard refuses to fetch; the message says why."""


def allowed_networks(value: str | None = None) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The ranges named in SENTINELLE_ALLOW_NETWORKS (comma-separated CIDRs); bad entries are refused."""
    raw = os.environ.get("SENTINELLE_ALLOW_NETWORKS", "") if value is None else value
    nets = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise BlockedAddress(f"SENTINELLE_ALLOW_NETWORKS: {part!r} is not a CIDR range") from exc
    return nets


def parse_ipv4_loose(host: str) -> ipaddress.IPv4Address | None:
    """Read a host the way inet_aton and browsers do: "2130706433", "0177.0.0.1", "0x7f.1", "127.1".

    Returns None when the host is not a number-only spelling (a DNS name).
    """
    parts = host.rstrip(".").split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = []
    for p in parts:
        p = p.lower()
        try:
            if p.startswith("0x"):
                values.append(int(p[2:] or "0", 16))
            elif len(p) > 1 and p.startswith("0"):
                values.append(int(p, 8))
            elif p.isdigit():
                values.append(int(p))
            else:
                return None
        except ValueError:
            return None
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number * 256 + v
    number = number * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(number)


def literal_ip(host: str) -> IPAddress | None:
    """The address a host names literally (any IPv4 spelling, IPv6 with or without brackets)."""
    h = host.strip().strip("[]").rstrip(".")
    if "%" in h:  # an IPv6 zone index ("fe80::1%eth0") names a link-local interface
        h = h.split("%", 1)[0]
    try:
        return ipaddress.ip_address(h)
    except ValueError:
        return parse_ipv4_loose(h)


def _embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _SIX_TO_FOUR:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    packed = ip.packed
    if packed[:12] == bytes(12) and int(ip) > 1:  # deprecated IPv4-compatible "::a.b.c.d"
        return ipaddress.IPv4Address(packed[12:])
    return None


def why_blocked(ip: IPAddress, allow: Iterable = ()) -> str | None:
    """Why the guard refuses `ip` (loopback, private, ...), or None when it may be reached."""
    inner = _embedded_v4(ip)
    if inner is not None:
        why = why_blocked(inner, allow)
        if why:
            return f"{why} (inside {ip})"
    if any(ip in net for net in allow if net.version == ip.version):
        return None
    for test, what in (
        ("is_unspecified", "unspecified"), ("is_loopback", "loopback"), ("is_link_local", "link-local"),
        ("is_multicast", "multicast"), ("is_private", "private"), ("is_reserved", "reserved"),
    ):
        if getattr(ip, test):
            return f"{what} address {ip}"
    if not ip.is_global:  # shared (CGNAT 100.64/10), benchmarking, documentation ranges, ...
        return f"non-public address {ip}"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise BlockedAddress(f"cannot resolve {host!r}: {exc.strerror or exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class NetGuard:
    """Checks URLs and resolves hosts to addresses that may be reached."""

    def __init__(self, resolver: Resolver | None = None, allow: str | None = None):
        self.resolver = resolver or system_resolver
        self.allow = allowed_networks(allow)

    def check_url(self, url: str | httpx.URL) -> httpx.URL:
        """The URL parsed as the HTTP client will read it, or BlockedAddress for a bad scheme or host."""
        try:
            u = url if isinstance(url, httpx.URL) else httpx.URL(str(url).strip())
            host = u.host  # decodes IDNA labels: a malformed one ("xn--") raises here
        except (httpx.InvalidURL, TypeError, ValueError) as exc:  # idna's IDNAError is a ValueError
            raise BlockedAddress(f"not a valid URL: {exc}") from exc
        if u.scheme not in ALLOWED_SCHEMES:
            raise BlockedAddress(f"scheme {u.scheme or '(none)'!r} is not allowed: http and https only")
        if not host:
            raise BlockedAddress("the URL has no host")
        return u

    def resolve(self, host: str, port: int) -> str:
        """One address of `host` to connect to; every address it resolves to must be allowed,
        so a name that also points inside cannot be used to reach it."""
        host = host.strip("[]").rstrip(".").lower()
        if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
            loopback = ipaddress.ip_address("127.0.0.1")
            why = why_blocked(loopback, self.allow)
            if why:
                raise BlockedAddress(f"{host}: {why}")
            return str(loopback)
        ip = literal_ip(host)
        read = [ip] if ip is not None else [literal_ip(a) for a in self.resolver(host, port)]
        addresses = [a for a in read if a is not None]
        if not addresses or len(addresses) != len(read):
            raise BlockedAddress(f"{host!r} did not resolve to an address")
        for a in addresses:
            why = why_blocked(a, self.allow)
            if why:
                raise BlockedAddress(f"{host}: {why}")
        return str(addresses[0])


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that checks every request (each redirect hop included) and connects to
    the address it checked: the URL's host is replaced by that address, while the Host header and
    the TLS server name (SNI, certificate check) keep the name, so DNS rebinding cannot switch it."""

    def __init__(self, guard: NetGuard | None = None, inner: httpx.BaseTransport | None = None):
        self.guard = guard or NetGuard()
        self.inner = inner or httpx.HTTPTransport(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = self.guard.check_url(request.url)
        host = url.host
        ip = self.guard.resolve(host, url.port or (443 if url.scheme == "https" else 80))
        request.url = url.copy_with(host=ip)
        request.headers["Host"] = url.netloc.decode("ascii").rpartition("@")[2]
        if url.scheme == "https" and literal_ip(host) is None:
            request.extensions = {**request.extensions, "sni_hostname": host}
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def guarded_client(guard: NetGuard | None = None, timeout: float = 5.0, **kwargs) -> httpx.Client:
    """An httpx client that never leaves the guard; redirects are for the caller to follow."""
    return httpx.Client(transport=GuardedTransport(guard), timeout=timeout, follow_redirects=False,
                        trust_env=False, **kwargs)


__all__ = ["BlockedAddress", "GuardedTransport", "NetGuard", "allowed_networks", "guarded_client",
           "literal_ip", "parse_ipv4_loose", "why_blocked"]
