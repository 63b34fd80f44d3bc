"""The SSRF guard: every non-public range refused, IPv4 and IPv6, literal or behind a name; the
URL's form checked; public addresses pass. Pure, no I/O but the resolver's on literals."""

from __future__ import annotations

import ipaddress

import pytest

from subscriptions.adapters.resolver import checked
from subscriptions.domain.addresses import CallbackRefused, check_addresses, parse_callback, refusal

REFUSED = [
    "127.0.0.1", "127.255.255.254", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
    "169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.255", "192.0.0.8", "192.0.2.1", "198.18.0.1",
    "198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "2002:a00:1::1", "2001::1", "100::1",
]  # fmt: skip
PUBLIC = ["8.8.8.8", "1.1.1.1", "114.114.114.114", "223.5.5.5", "2400:3200::1", "2001:4860:4860::8888", "100.128.0.1"]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is not None
    with pytest.raises(CallbackRefused):
        check_addresses("hooks.example", [ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address(address)])


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None
    check_addresses("hooks.example", [ipaddress.ip_address(address)])


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example/x", "http://hooks.example/x", "https:///x", "https://user:pw@hooks.example/x",
        "https://hooks.example/x#frag", "https://hooks.example:99999/x", "hooks.example/x",
    ],
)  # fmt: skip
def test_malformed_or_insecure_urls_are_refused(url: str) -> None:
    with pytest.raises(CallbackRefused):
        parse_callback(url, require_https=True)


def test_http_is_allowed_only_when_https_is_not_required() -> None:
    cb = parse_callback("http://hooks.example:8080/in?x=1", require_https=False)
    assert (cb.scheme, cb.host, cb.port, cb.target) == ("http", "hooks.example", 8080, "/in?x=1")


@pytest.mark.parametrize(
    "url",
    ["https://127.0.0.1/x", "https://[::1]/x", "https://169.254.169.254/latest/meta-data", "https://[fd00::5]/x",
     "https://100.64.1.1/x", "https://localhost/x", "https://[::ffff:10.0.0.1]/x"],
)  # fmt: skip
async def test_literals_and_names_resolving_to_private_ranges_are_refused(url: str) -> None:
    with pytest.raises(CallbackRefused):
        await checked(url, allow_private=False, require_https=True)


async def test_private_callbacks_can_be_allowed_by_configuration() -> None:
    callback, address = await checked("http://127.0.0.1:9/x", allow_private=True, require_https=False)
    assert (callback.host, str(address)) == ("127.0.0.1", "127.0.0.1")


async def test_a_public_literal_passes() -> None:
    _, address = await checked("https://8.8.8.8/hook", allow_private=False, require_https=True)
    assert str(address) == "8.8.8.8"
