"""The address a request came from, for login throttling (django-axes) and the API's per-IP
limit.

Served directly, that is REMOTE_ADDR. Behind reverse proxies (a TLS terminator, a load
balancer), REMOTE_ADDR is the last proxy's for every client; set TRUSTED_PROXIES to how many
proxies stand in front and each, by custom, appends the address it received from to
X-Forwarded-For. The client is then the entry that many places from the right: what the
client itself wrote into the header sits further left and is never believed.
"""

from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(hops) < proxies:
        return remote  # not through as many proxies as configured: the header is no proof
    candidate = hops[-proxies]
    try:
        return str(ip_address(candidate))
    except ValueError:
        return remote
