"""Resolving a callback's host and checking every address it resolves to (the SSRF guard's I/O)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from subscriptions.domain.addresses import Callback, CallbackRefused, IPAddress, check_addresses, literal_address, parse_callback


async def resolve(host: str, port: int) -> list[IPAddress]:
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise CallbackRefused(f"{host} does not resolve: {exc}") from exc
    out: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in out:
            out.append(address)
    return out


async def checked(url: str, *, allow_private: bool, require_https: bool) -> tuple[Callback, IPAddress]:
    """The parsed callback and the address to connect to, or CallbackRefused. Every resolved
    address is checked (unless private callbacks are allowed), and the caller connects to the one
    returned, so a name that resolves elsewhere a moment later is never followed (DNS rebinding)."""
    callback = parse_callback(url, require_https=require_https)
    addresses = await resolve(callback.host, callback.port)
    if not allow_private:
        check_addresses(callback.host, addresses)
    elif not addresses:
        raise CallbackRefused(f"{callback.host} does not resolve to any address")
    return callback, addresses[0]
