"""Where webhooks may be sent: public addresses, and private ones only inside the networks the
operator lists (`TRIAGE_WEBHOOK_ALLOWED_NETWORKS`).

A webhook URL is chosen by whoever holds a portal or working-group key. Unchecked, a
dispatcher inside the UN network would POST wherever that URL points: its own loopback, the
database's subnet, a cloud metadata address. So each send resolves the host once, refuses it
if any of its addresses is outside what is allowed, and connects to the address it checked,
with the original name in the Host header and for TLS (SNI and the certificate check): a name
that resolves elsewhere a moment later (DNS rebinding) does not change where the POST goes.
"""

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]


class DestinationRefused(Exception):
    """The URL's host is, or resolves to, an address webhooks may not reach."""


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """`10.20.0.0/16, fd00::/8` → networks; raises ValueError on anything else."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class EgressPolicy:
    allowed_networks: tuple[IPNetwork, ...] = ()
    resolve: Resolver = field(default=_resolve, compare=False)

    def permits(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_networks):
            return True
        return address.is_global and not address.is_multicast

    def literal_refusal(self, url: str) -> str | None:
        """Why a URL whose host is an address (or `localhost`) may not be used; None when
        it may, or when only resolving its name at send time can tell."""
        host = urlsplit(url).hostname or ""
        if host == "localhost" or host.endswith(".localhost"):
            return "webhooks may not target this machine"
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
        if self.permits(address):
            return None
        return f"webhooks may not target {address} (a private, loopback or reserved address)"

    def pinned(self, url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        """The URL with its host replaced by the checked address, the Host header, and the
        request extensions that keep TLS on the original name; raises DestinationRefused,
        or OSError when the name does not resolve."""
        parts = httpx.URL(url)
        host = parts.raw_host.decode("ascii")  # an international name in its IDNA form
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = self.resolve(host, port)
        if not addresses:
            raise OSError(f"{host} has no address")
        for text in addresses:
            if not self.permits(ipaddress.ip_address(text.split("%")[0])):
                raise DestinationRefused(
                    f"{host} resolves to {text}, outside the networks webhooks may reach"
                )
        target = parts.copy_with(host=addresses[0])
        extensions: dict[str, Any] = {"sni_hostname": host} if parts.scheme == "https" else {}
        return str(target), {"Host": parts.netloc.decode("ascii")}, extensions
