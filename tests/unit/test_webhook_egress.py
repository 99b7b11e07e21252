"""Where webhooks may go: public addresses, private ones only inside the allowed networks,
and always to the address that was checked."""

import ipaddress

import pytest
from pydantic import ValidationError

from app.settings import Settings
from app.webhooks.egress import DestinationRefused, EgressPolicy, parse_networks


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "fc00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::",
    ],
)
def test_private_loopback_and_reserved_addresses_are_refused(address: str) -> None:
    assert not EgressPolicy().permits(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "193.0.6.139", "2001:4860:4860::8888"])
def test_public_addresses_are_permitted(address: str) -> None:
    assert EgressPolicy().permits(ipaddress.ip_address(address))


def test_allowed_networks_open_private_ranges_and_only_those() -> None:
    policy = EgressPolicy(parse_networks(" 10.20.0.0/16 , fd00::/8"))
    assert policy.permits(ipaddress.ip_address("10.20.7.1"))
    assert policy.permits(ipaddress.ip_address("fd12::1"))
    assert not policy.permits(ipaddress.ip_address("10.21.0.1"))
    assert not policy.permits(ipaddress.ip_address("127.0.0.1"))


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://127.0.0.1:8080/hook", True),
        ("https://[::1]/hook", True),
        ("http://169.254.169.254/latest/meta-data", True),
        ("http://localhost/hook", True),
        ("http://api.localhost/hook", True),
        ("https://8.8.8.8/hook", False),
        ("https://portal.example.org/hook", False),  # a name: checked when sent
    ],
)
def test_urls_naming_a_refused_address_are_caught_at_registration(url: str, refused: bool) -> None:
    assert (EgressPolicy().literal_refusal(url) is not None) is refused


def test_a_send_goes_to_the_checked_address_under_the_original_name() -> None:
    policy = EgressPolicy(resolve=lambda host, port: ["93.184.216.34", "2606:2800:220:1::"])
    url, headers, extensions = policy.pinned("https://hooks.example.org:8443/in?x=1")
    assert url == "https://93.184.216.34:8443/in?x=1"
    assert headers == {"Host": "hooks.example.org:8443"}
    assert extensions == {"sni_hostname": "hooks.example.org"}
    url, headers, extensions = policy.pinned("http://hooks.example.org/in")
    assert (url, headers, extensions) == (
        "http://93.184.216.34/in",
        {"Host": "hooks.example.org"},
        {},
    )


def test_international_names_are_resolved_and_sent_in_their_ascii_form() -> None:
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["93.184.216.34"]

    _, headers, extensions = EgressPolicy(resolve=resolve).pinned("https://bücher.example/h")
    assert asked == [("xn--bcher-kva.example", 443)]
    assert headers == {"Host": "xn--bcher-kva.example"}
    assert extensions == {"sni_hostname": "xn--bcher-kva.example"}


def test_a_name_with_any_refused_address_is_refused() -> None:
    policy = EgressPolicy(resolve=lambda host, port: ["93.184.216.34", "10.0.0.5"])
    with pytest.raises(DestinationRefused, match=r"10\.0\.0\.5"):
        policy.pinned("https://rebinding.example/hook")


def test_a_name_without_addresses_is_unreachable() -> None:
    with pytest.raises(OSError, match="no address"):
        EgressPolicy(resolve=lambda host, port: []).pinned("https://nowhere.example/hook")


def test_the_setting_refuses_what_is_not_a_network() -> None:
    assert Settings(webhook_allowed_networks="10.0.0.0/8,::1/128").webhook_egress.permits(
        ipaddress.ip_address("10.9.9.9")
    )
    with pytest.raises(ValidationError, match="networks"):
        Settings(webhook_allowed_networks="10.0.0.0/8, intranet")
