"""panel.clientip: REMOTE_ADDR served directly; behind N trusted proxies, the address the
N-th proxy from the panel received from, never what the client wrote itself."""

import pytest
from django.test import RequestFactory

from panel.clientip import client_ip


def request(forwarded: str | None = None, remote: str = "10.0.0.9"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_served_directly_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = 0
    assert client_ip(request("1.2.3.4")) == "10.0.0.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client's own entry is further left
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (1, " 2001:db8::1 ", "2001:db8::1"),
        (1, "2001:DB8:0::1", "2001:db8::1"),  # one spelling per address, one counter
        (2, "203.0.113.7", "10.0.0.9"),  # fewer hops than proxies: no proof
        (1, None, "10.0.0.9"),
        (1, "", "10.0.0.9"),
        (1, "unknown", "10.0.0.9"),
        (1, "1.2.3.4, <script>", "10.0.0.9"),
    ],
)
def test_behind_proxies_the_forwarded_address_counts(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    assert client_ip(request(forwarded)) == expected
