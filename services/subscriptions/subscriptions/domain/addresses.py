"""Which callback addresses a webhook may point at (SSRF guard).

A callback must reach a public host: an agency's URL that points at loopback, link-local (the
cloud metadata service at 169.254.169.254), private, shared (carrier-grade NAT, 100.64.0.0/10),
multicast, reserved or unspecified ranges would let anyone with the `agency` role make this
service call into the bureau's own network. IPv4 and IPv6 alike, including IPv6 forms that embed
an IPv4 address (::ffff:127.0.0.1, 64:ff9b::a00:1, 6to4 2002:a00:1::). A host name is refused
when any address it resolves to is refused; the delivery worker resolves again before every
attempt and connects to the address it checked (DNS rebinding). Configuration can allow private
callbacks for development and tests (``SUBSCRIPTIONS_ALLOW_PRIVATE_CALLBACKS``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges refused besides what `is_global` already says is not global (kept explicit, so the list
# a reviewer checks is here and does not depend on the Python version's registry).
_REFUSED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
        "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
        "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
)  # fmt: skip
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class CallbackRefused(ValueError):
    """The callback URL may not be called; `reason` says why (shown to the agency)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Callback:
    url: str
    scheme: str
    host: str  # as written (a name, or an IP literal without brackets)
    port: int
    target: str  # path and query


def parse_callback(url: str, *, require_https: bool) -> Callback:
    """The parts of a callback URL, or CallbackRefused for a malformed or unsupported one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise CallbackRefused(f"not a valid URL: {exc}") from exc
    allowed = ("https",) if require_https else ("https", "http")
    if parts.scheme not in allowed:
        raise CallbackRefused(f"the scheme must be {' or '.join(allowed)}")
    if not parts.hostname:
        raise CallbackRefused("the URL has no host")
    if parts.username or parts.password:
        raise CallbackRefused("credentials in the URL are not allowed (use the signature to authenticate)")
    if parts.fragment:
        raise CallbackRefused("a fragment is not allowed")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default = 443 if parts.scheme == "https" else 80
    return Callback(url, parts.scheme, parts.hostname, port or default, target)


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def refusal(address: IPAddress) -> str | None:
    """Why `address` is not a public address, or None if it is one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and refusal(embedded) is not None:
            return f"{address} embeds the non-public address {embedded}"
    for net in _REFUSED:
        if address.version == net.version and address in net:
            return f"{address} is in the non-public range {net}"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def check_addresses(host: str, addresses: list[IPAddress]) -> None:
    """CallbackRefused unless `host` resolved and every address it resolved to is public."""
    if not addresses:
        raise CallbackRefused(f"{host} does not resolve to any address")
    for address in addresses:
        why = refusal(address)
        if why is not None:
            shown = why if literal_address(host) is not None else f"{host} resolves to {why}"
            raise CallbackRefused(
                f"callback refused: {shown} (loopback, link-local, private and reserved ranges are not allowed)"
            )
