"""``add`` for every service type: the fields each takes, what it charges, what it refuses."""

from datetime import UTC, datetime, timedelta
from decimal import ROUND_UP, Decimal

import pytest
import requests

from sandbox.placing import SERVICE_TYPES

LINK = "https://instagram.com/p/Cabc123"
NEXT_YEAR = (datetime.now(UTC) + timedelta(days=365)).strftime("%d/%m/%Y")


def lines(count, word="nice"):
    return "\n".join(f"{word} {i}" for i in range(count))


def valid_fields(service):
    """A correct ``add`` for the service's type (quantities at the service's minimum)."""
    low = int(service["min"])
    per_type = {
        "Default": {"link": LINK, "quantity": low},
        "Package": {"link": LINK},
        "Custom Comments": {"link": LINK, "comments": lines(low)},
        "Custom Comments Package": {"link": LINK, "comments": lines(3)},
        "Mentions": {"link": LINK, "quantity": low, "usernames": "bob\ncharlie"},
        "Mentions with Hashtags": {
            "link": LINK,
            "quantity": low,
            "usernames": "bob\ncharlie",
            "hashtags": "#one\n#two",
        },
        "Mentions Custom List": {"link": LINK, "usernames": lines(low, "user")},
        "Mentions Hashtag": {"link": LINK, "quantity": low, "hashtag": "#sale"},
        "Mentions User Followers": {"link": LINK, "quantity": low, "username": "bob"},
        "Mentions Media Likers": {"link": LINK, "quantity": low, "media": LINK},
        "Comment Likes": {"link": LINK, "quantity": low, "username": "bob"},
        "Comment Replies": {"link": LINK, "username": "bob", "comments": lines(low)},
        "Poll": {"link": LINK, "quantity": low, "answer_number": 2},
        "Invites from Groups": {"link": LINK, "quantity": low, "groups": "t.me/a\nt.me/b"},
        "Subscriptions": {
            "username": "alice",
            "min": low,
            "max": low * 2,
            "posts": 3,
            "old_posts": 1,
            "delay": 30,
            "expiry": NEXT_YEAR,
        },
        "Web Traffic": {
            "link": "https://example.com/landing",
            "quantity": low,
            "country": "US",
            "device": 5,
            "type_of_traffic": 1,
            "google_keyword": "best shoes",
        },
    }
    return per_type[service["type"]]


def expected_charge(service, fields):
    rate = Decimal(str(service["rate"]))
    kind = service["type"]
    if kind in ("Package", "Custom Comments Package"):
        units = Decimal(1000)
    elif kind == "Subscriptions":
        units = Decimal(fields["max"] * (fields["posts"] + fields["old_posts"]))
    elif kind in ("Custom Comments", "Comment Replies"):
        units = Decimal(len(fields["comments"].splitlines()))
    elif kind == "Mentions Custom List":
        units = Decimal(len(fields["usernames"].splitlines()))
    else:
        units = Decimal(fields["quantity"])
    return (rate * units / 1000).quantize(Decimal("0.00001"), rounding=ROUND_UP)


# Removing one of these fields gets this error.
REQUIRED = [
    ("Default", "link", "Incorrect link"),
    ("Default", "quantity", "Incorrect quantity"),
    ("Package", "link", "Incorrect link"),
    ("Custom Comments", "comments", "Incorrect comments"),
    ("Custom Comments Package", "comments", "Incorrect comments"),
    ("Mentions", "usernames", "Incorrect usernames"),
    ("Mentions", "quantity", "Incorrect quantity"),
    ("Mentions with Hashtags", "hashtags", "Incorrect hashtags"),
    ("Mentions Custom List", "usernames", "Incorrect usernames"),
    ("Mentions Hashtag", "hashtag", "Incorrect hashtag"),
    ("Mentions User Followers", "username", "Incorrect username"),
    ("Mentions Media Likers", "media", "Incorrect media"),
    ("Comment Likes", "username", "Incorrect username"),
    ("Comment Replies", "username", "Incorrect username"),
    ("Comment Replies", "comments", "Incorrect comments"),
    ("Poll", "answer_number", "Incorrect answer_number"),
    ("Invites from Groups", "groups", "Incorrect groups"),
    ("Subscriptions", "username", "Incorrect username"),
    ("Subscriptions", "min", "Incorrect quantity"),
    ("Subscriptions", "posts", "Incorrect posts"),
    ("Web Traffic", "link", "Incorrect link"),
    ("Web Traffic", "google_keyword", "Incorrect google_keyword"),
]


@pytest.mark.parametrize("service_type", SERVICE_TYPES)
def test_add_accepts_each_type_and_charges_it(sb, api, find, service_type):
    service = find(service_type)
    fields = valid_fields(service)
    answer = api("add", service=service["service"], **fields)
    assert set(answer) == {"order"}, answer
    recorded = sb.orders()[-1]
    assert recorded["id"] == answer["order"]
    assert recorded["fields"] == {
        "action": "add",
        "service": str(service["service"]),
        **{name: str(value) for name, value in fields.items()},
    }
    assert recorded["charge"] == str(expected_charge(service, fields))
    assert Decimal(api("balance")["balance"]) == 1000 - Decimal(recorded["charge"])


@pytest.mark.parametrize(("service_type", "missing", "error"), REQUIRED)
def test_add_refuses_a_type_without_its_fields(sb, api, find, service_type, missing, error):
    service = find(service_type)
    fields = {k: v for k, v in valid_fields(service).items() if k != missing}
    assert api("add", service=service["service"], **fields) == {"error": error}
    assert sb.orders() == []


def test_counted_types_check_the_number_of_lines_against_min_and_max(api, catalog):
    service = next(s for s in catalog if s["type"] == "Custom Comments" and int(s["min"]) > 1)
    low, high = int(service["min"]), int(service["max"])
    too_few = api("add", service=service["service"], link=LINK, comments=lines(low - 1))
    too_many = api("add", service=service["service"], link=LINK, comments=lines(high + 1))
    assert too_few == {"error": f"Quantity less than minimal {low}"}
    assert too_many == {"error": f"Quantity more than maximum {high}"}


def test_comment_lines_survive_multipart_and_crlf(sb, find):
    service = find("Custom Comments")
    count = int(service["min"]) + 2
    comments = "\r\n".join(f"great {i}" for i in range(count)) + "\r\n\r\n"
    fields = {
        "key": sb.key,
        "action": "add",
        "service": str(service["service"]),
        "link": LINK,
        "comments": comments,
    }
    answer = requests.post(sb.api_url, files={k: (None, v) for k, v in fields.items()}).json()
    assert sb.order(answer["order"])["quantity"] == count


def test_dripfeed_charges_every_run_and_checks_quantity_per_run(sb, api, find):
    service = find("Default", dripfeed=True)
    low = int(service["min"])
    answer = api("add", service=service["service"], link=LINK, quantity=low, runs=5, interval=15)
    order = sb.order(answer["order"])
    single = expected_charge(service, {"quantity": low})
    assert Decimal(order["charge"]) == single * 5
    assert order["runs"] == 5 and order["quantity"] == low
    assert api(
        "add", service=service["service"], link=LINK, quantity=low - 1, runs=5, interval=1
    ) == {"error": f"Quantity less than minimal {low}"}


@pytest.mark.parametrize(
    ("runs", "interval", "error"),
    [("0", "10", "Incorrect runs"), ("x", "10", "Incorrect runs"), ("3", "", "Incorrect interval")],
)
def test_dripfeed_refuses_bad_runs_and_interval(api, find, runs, interval, error):
    service = find("Default", dripfeed=True)
    answer = api(
        "add",
        service=service["service"],
        link=LINK,
        quantity=service["min"],
        runs=runs,
        interval=interval,
    )
    assert answer == {"error": error}


def test_dripfeed_is_refused_on_services_without_it(api, find):
    service = find("Default", dripfeed=False)
    answer = api(
        "add", service=service["service"], link=LINK, quantity=service["min"], runs=2, interval=5
    )
    assert answer == {"error": "Drip-feed is disabled for this service"}


def test_subscriptions_check_min_max_and_expiry(api, find):
    service = find("Subscriptions")
    base = valid_fields(service)
    sid = service["service"]
    low, high = int(service["min"]), int(service["max"])
    checks = [
        ({"min": low * 3, "max": low * 2}, "Incorrect quantity"),
        ({"min": low - 1}, f"Quantity less than minimal {low}"),
        ({"max": high + 1}, f"Quantity more than maximum {high}"),
        ({"expiry": "2020-01-01"}, "Incorrect expiry"),
        ({"expiry": "01/01/2020"}, "Incorrect expiry"),
        ({"delay": "soon"}, "Incorrect delay"),
    ]
    for change, error in checks:
        assert api("add", service=sid, **{**base, **change}) == {"error": error}, change


def test_web_traffic_checks_its_options(api, find):
    service = find("Web Traffic")
    base = valid_fields(service)
    sid = service["service"]
    assert api("add", service=sid, **{**base, "device": 9}) == {"error": "Incorrect device"}
    referrer = {**base, "type_of_traffic": 2, "referring_url": ""}
    assert api("add", service=sid, **referrer) == {"error": "Incorrect referring_url"}
    plain = {"link": base["link"], "quantity": base["quantity"]}
    assert set(api("add", service=sid, **plain)) == {"order"}


def test_poll_needs_a_positive_answer_number(api, find):
    service = find("Poll")
    fields = {**valid_fields(service), "answer_number": "0"}
    assert api("add", service=service["service"], **fields) == {"error": "Incorrect answer_number"}
