"""panel.clientip: REMOTE_ADDR served directly; X-Forwarded-For believed only when the
connection comes from a trusted proxy (TRUSTED_PROXIES, CIDRs), walked right to left past the
trusted hops, never what the client wrote itself."""

import pytest
from django.test import RequestFactory

from panel.clientip import client_ip

PROXIES = ["10.0.0.0/24", "fd00::/8"]


def request(forwarded: str | None = None, remote: str = "10.0.0.9"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_served_directly_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request("1.2.3.4")) == "10.0.0.9"


def test_a_direct_client_spoofing_the_header_changes_nothing(settings):
    settings.TRUSTED_PROXIES = PROXIES
    # The connection comes from the client itself, not from one of our proxies.
    assert client_ip(request("1.2.3.4", remote="198.51.100.20")) == "198.51.100.20"
    assert client_ip(request("10.0.0.5, 1.2.3.4", remote="198.51.100.20")) == "198.51.100.20"


@pytest.mark.parametrize(
    ("forwarded", "remote", "expected"),
    [
        # Behind one proxy (10.0.0.9).
        ("203.0.113.7", "10.0.0.9", "203.0.113.7"),
        ("6.6.6.6, 203.0.113.7", "10.0.0.9", "203.0.113.7"),  # the client's own entry: left
        # Behind two proxies: 10.0.0.2 forwarded to 10.0.0.9.
        ("203.0.113.7, 10.0.0.2", "10.0.0.9", "203.0.113.7"),
        ("6.6.6.6, 203.0.113.7, 10.0.0.2", "10.0.0.9", "203.0.113.7"),
        ("203.0.113.7, fd00::2", "fd00::9", "203.0.113.7"),
        (" 2001:db8::1 ", "10.0.0.9", "2001:db8::1"),
        ("2001:DB8:0::1", "10.0.0.9", "2001:db8::1"),  # one spelling per address, one counter
        (None, "10.0.0.9", "10.0.0.9"),
        ("", "10.0.0.9", "10.0.0.9"),
        ("unknown", "10.0.0.9", "10.0.0.9"),
        ("1.2.3.4, <script>", "10.0.0.9", "10.0.0.9"),
        ("1.2.3.4, <script>, 10.0.0.3", "10.0.0.9", "10.0.0.3"),
        ("10.0.0.1, 10.0.0.2", "10.0.0.9", "10.0.0.1"),  # only our own hops
    ],
)
def test_behind_trusted_proxies_the_forwarded_address_counts(settings, forwarded, remote, expected):
    settings.TRUSTED_PROXIES = PROXIES
    assert client_ip(request(forwarded, remote=remote)) == expected


def test_a_wrong_cidr_is_a_configuration_error(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/33"]
    with pytest.raises(ValueError):
        client_ip(request("1.2.3.4"))
