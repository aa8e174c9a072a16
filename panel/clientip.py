"""The address a request came from, for login throttling (django-axes), the sign-up and reset
limits and the API's per-IP limit.

Served directly, that is REMOTE_ADDR. Behind reverse proxies (a TLS terminator, a load
balancer), REMOTE_ADDR is the last proxy's for every client; set TRUSTED_PROXIES to the
addresses (CIDR) of those proxies. Each proxy, by custom, appends the address it received from
to X-Forwarded-For. X-Forwarded-For is read only when the connection itself comes from a trusted
proxy, and then from right to left: every hop that is a trusted proxy is skipped, and the first
one that is not is the client. What the client wrote into the header itself sits further left
and is never believed.
"""

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.http import HttpRequest

Network = IPv4Network | IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    """The networks of TRUSTED_PROXIES; a wrong entry is a configuration error, raised."""
    return tuple(ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _normal(address: str) -> str | None:
    try:
        return str(ip_address(address.strip()))
    except ValueError:
        return None


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    parsed = ip_address(address)
    if getattr(parsed, "ipv4_mapped", None):
        parsed = parsed.ipv4_mapped
    return any(parsed in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    networks = trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if not networks:
        return remote
    current = _normal(remote)
    if current is None or not _trusted(current, networks):
        return remote  # a direct client: whatever header it sent is its own writing
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _normal(hop)
        if address is None:
            return current  # garbage where an address should be: stop at the last proof
        if not _trusted(address, networks):
            return address
        current = address
    return current  # every hop is a proxy of ours (a health check, an internal call)
