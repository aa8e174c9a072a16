"""The sandbox's catalog: realistic, deterministic, in every wire variant, and breakable."""

import json
from decimal import Decimal

import pytest
import requests

from sandbox.catalog import CATEGORIES, generate, to_wire
from sandbox.placing import SERVICE_TYPES
from sandbox.process import SandboxProcess


@pytest.fixture(scope="module")
def bendable():
    """A process of its own: these tests regenerate, reprice and break its catalog."""
    with SandboxProcess(services=300, seed=3) as process:
        yield process


def services(process):
    response = requests.post(process.api_url, data={"key": process.key, "action": "services"})
    assert response.status_code == 200
    return response


def test_the_catalog_covers_every_type_several_times(catalog):
    types = [service["type"] for service in catalog]
    assert set(types) == set(SERVICE_TYPES)
    assert all(types.count(kind) >= 3 for kind in SERVICE_TYPES)


def test_the_categories_are_platform_and_kind(catalog):
    assert len(CATEGORIES) >= 50
    names = {service["category"] for service in catalog}
    assert {"Instagram Followers", "YouTube Views", "TikTok Likes", "Telegram Members"} <= names


def test_the_catalog_mixes_every_wire_variant(catalog):
    def seen(check):
        return any(check(service) for service in catalog)

    assert seen(lambda s: isinstance(s["service"], int))
    assert seen(lambda s: isinstance(s["service"], str))
    assert seen(lambda s: isinstance(s["rate"], str))
    assert seen(lambda s: isinstance(s["rate"], int | float))
    assert seen(lambda s: isinstance(s["rate"], str) and s["rate"].endswith("0"))
    assert seen(lambda s: isinstance(s["min"], str)) and seen(lambda s: isinstance(s["min"], int))
    for value in (True, False, 1, 0, "1", "0"):
        assert seen(lambda s, v=value: type(s["refill"]) is type(v) and s["refill"] == v)
    for key in ("desc", "cancel", "dripfeed"):
        assert seen(lambda s, k=key: k not in s)
    assert seen(lambda s: "average_time" in s)  # an unknown key clients must ignore


def test_rates_are_exact_decimals_in_range(catalog):
    rates = [Decimal(str(service["rate"])) for service in catalog]
    assert min(rates) >= Decimal("0.001")
    assert max(rates) <= Decimal("60")
    assert max(-rate.as_tuple().exponent for rate in rates) >= 4


def test_flags_only_where_they_make_sense(catalog):
    for service in catalog:
        if service.get("dripfeed") in (True, 1, "1"):
            assert service["type"] in ("Default", "Web Traffic")
        assert 0 < int(service["min"]) <= int(service["max"])


def test_generation_is_deterministic():
    assert generate(200, 5) == generate(200, 5)
    assert generate(200, 5) != generate(200, 6)
    assert [to_wire(s) for s in generate(50, 1)] == [to_wire(s) for s in generate(50, 1)]


def test_a_restart_serves_the_same_catalog(bendable):
    before = services(bendable).content
    bendable.restart()
    assert services(bendable).content == before


@pytest.mark.slow  # a 20,000-service catalog
def test_it_serves_20000_services(bendable):
    assert bendable.catalog(services=20000)["count"] == 20000
    try:
        answer = services(bendable).json()
        assert len(answer) == 20000
        assert len({str(service["service"]) for service in answer}) == 20000
    finally:
        bendable.catalog(services=300, seed=3)


def test_remove_and_reprice(bendable):
    first, second = services(bendable).json()[:2]
    bendable.catalog(remove=[int(first["service"])], rates={str(second["service"]): "1.2345"})
    try:
        answer = {str(s["service"]): s for s in services(bendable).json()}
        assert str(first["service"]) not in answer
        assert Decimal(str(answer[str(second["service"])]["rate"])) == Decimal("1.2345")
        add = {"key": bendable.key, "action": "add", "service": first["service"]}
        refused = requests.post(bendable.api_url, data={**add, "link": "https://x.com/a"})
        assert refused.json() == {"error": "Incorrect service ID"}
    finally:
        bendable.catalog(services=300, seed=3)


@pytest.mark.parametrize(
    ("mode", "check"),
    [
        (
            "html",
            lambda r: r.headers["Content-Type"].startswith("text/html") and b"<html" in r.content,
        ),
        ("empty", lambda r: r.content == b""),
        ("shape", lambda r: isinstance(r.json(), dict)),
        ("bad_rate", lambda r: r.json()[0]["rate"] == "abc"),
        ("negative_min", lambda r: r.json()[0]["min"] == "-10"),
    ],
)
def test_it_breaks_the_services_answer_until_cleared(bendable, mode, check):
    bendable.catalog(break_=mode)
    try:
        assert check(services(bendable))
    finally:
        bendable.catalog(break_=None)
    answer = services(bendable).json()
    assert isinstance(answer, list) and all(s["rate"] != "abc" for s in answer)


def test_reset_clears_a_broken_catalog(bendable):
    bendable.catalog(break_="empty")
    bendable.reset()
    assert json.loads(services(bendable).content)


def test_bad_catalog_requests_are_refused(bendable):
    with pytest.raises(Exception, match="break must be one of"):
        bendable.catalog(break_="everything")
