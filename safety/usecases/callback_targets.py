"""Where a callback may go: an http(s) URL whose every address is public, unless the operator allows the host.

A client names its callback URL; the workers POST to it from inside the network. So a URL that leads inside
(loopback, private, link-local and site-local addresses, in any of their spellings: IPv4 carried in IPv6, IPv4
written as a number) is refused, and a name is looked up once per delivery and the request sent to the address that
was checked (`CallbackTarget`), so a DNS answer that changes between the check and the connection cannot aim it
inside.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from safety.errors import SafetyError


class CallbackRefused(SafetyError):
    """A callback URL that may not be called: not http(s), or pointing inside the network."""


# NAT64's well-known prefix carries an IPv4 address in its last 32 bits (RFC 6052); the local-use prefix (RFC 8215)
# is for the operator's own translators and never leads outside.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_NUMERIC_HOST = re.compile(r"[0-9][0-9a-fx.]*")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_refusal(address: Address) -> str | None:
    """Why a callback may not connect to `address`, or None. An IPv6 address that carries an IPv4 one (mapped,
    IPv4-compatible, 6to4, NAT64, Teredo) is judged by the IPv4 address it leads to, so `::ffff:10.0.0.5` or
    `64:ff9b::a9fe:a9fe` is the internal address it is."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return "a local-use NAT64 address (64:ff9b:1::/48)"
        if address.is_site_local:
            return "a site-local address (fec0::/10)"
        if address.teredo is not None:
            server, client = address.teredo
            return f"a Teredo address (2001::/32, carrying {client} by way of {server})"
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = address_refusal(embedded)
            return f"{inner}, carried in {address}" if inner else None
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:
        return ipaddress.IPv4Address(int(address))  # IPv4-compatible, ::a.b.c.d (deprecated, still routed by some)
    return None


def _literal(host: str) -> Address | None:
    """The address a host names without DNS: an IP literal, or an IPv4 number in a form the C resolver reads
    (`2130706433`, `0x7f.1`, `127.1`)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address DNS gives for `host` (`OSError` when it gives none)."""
    found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]).split("%")[0] for info in found]


@dataclass(frozen=True)
class CallbackTarget:
    """A callback URL with the one address that was checked for it: the connection goes there and nowhere else,
    whatever DNS answers later (a rebinding attack answers a public address to the check, an internal one to the
    connect). The Host header and the TLS server name (SNI and certificate check) stay the URL's host."""

    url: str
    """The URL as the client gave it."""
    host: str
    """Its host name (lower case)."""
    address: str
    """The checked address connected to."""

    @property
    def connect_url(self) -> str:
        """The URL with its host replaced by the checked address."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if ":" in self.address else self.address
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = (f"{userinfo}@" if userinfo else "") + literal + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))

    @property
    def host_header(self) -> str:
        """What the Host header says: the URL's host (and port when it names one)."""
        parts = urlsplit(self.url)
        host = parts.hostname or self.host
        shown = f"[{host}]" if ":" in host else host
        return shown + (f":{parts.port}" if parts.port else "")


def pin_callback(url: str, allowed_hosts: Sequence[str], resolve: Resolver = system_resolver) -> CallbackTarget:
    """Check a callback URL and fix the address it will be sent to: `CallbackRefused` when it may not be called.
    A name is looked up once; every address it has must be public (or the host allowed by the operator), and the
    first is the one connected to."""
    target = _checked(url, allowed_hosts, resolve)
    assert target is not None
    return target


def _checked(url: str, allowed_hosts: Sequence[str], resolve: Resolver | None) -> CallbackTarget | None:
    """`pin_callback`; without `resolve`, a host name is not looked up and None is returned for it."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise CallbackRefused("callback_url has an invalid port") from None
    host = (parts.hostname or "").casefold()
    if parts.scheme not in ("http", "https") or not host:
        raise CallbackRefused("callback_url must be an http or https URL with a host")
    allowed = host in allowed_hosts or host.rstrip(".") in allowed_hosts
    literal = _literal(host)
    if literal is not None:
        addresses: list[Address] = [literal]
    else:
        name = host.rstrip(".")
        if not allowed and (name == "localhost" or name.endswith((".localhost", ".internal", ".local"))):
            raise CallbackRefused(f"callback_url points inside the network ({host})")
        if resolve is None:
            return None
        try:
            addresses = [ipaddress.ip_address(found) for found in resolve(host, port)]
        except (OSError, ValueError) as exc:
            why = getattr(exc, "strerror", None) or exc
            raise CallbackRefused(f"callback host {host} cannot be resolved: {why}") from None
        if not addresses:
            raise CallbackRefused(f"callback host {host} cannot be resolved")
    if not allowed:
        for address in addresses:
            if why := address_refusal(address):
                raise CallbackRefused(
                    f"callback_url points inside the network ({host}: {why}); an operator may allow the host"
                )
    return CallbackTarget(url, host, str(addresses[0]))


def callback_refusal(
    url: str, allowed_hosts: Sequence[str], *, resolve: bool, resolver: Resolver = system_resolver
) -> str | None:
    """Why a callback URL may not be used, or None. Without `resolve` (when a submission is accepted), only what
    the URL itself says is checked, names not looked up; with it, as `pin_callback` checks it when sending."""
    try:
        _checked(url, allowed_hosts, resolver if resolve else None)
    except CallbackRefused as exc:
        return str(exc)
    return None
