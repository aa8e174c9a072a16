"""The panel's /api/v2, spoken like a provider: every action, single and bulk, every error."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.apikeys import issue_key
from accounts.models import ApiKey, LedgerEntry, LedgerKind, User
from catalog.models import Service
from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import make_customer
from orders.models import Order, OrderStatus, Refill
from panel import ratelimit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_limits():
    ratelimit.reset()
    yield
    ratelimit.reset()


def customer(name: str, funds: str = "100") -> tuple[User, str]:
    """A customer holding `funds`, and their API key."""
    user = make_customer(name, funds=funds)
    return user, issue_key(user)


@pytest.fixture
def followers_with_flags():
    return make_service(
        make_upstream(make_provider(), rate="0.9", min=10, max=10_000, refill=True, cancel=True,
                      dripfeed=True, name="IG Followers"),
        fixed_rate=Decimal("1.2"),
        description="Real",
    )  # fmt: skip


def call(client, key, **fields):
    response = client.post("/api/v2", {"key": key, **fields})
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def test_services_lists_selling_rates_and_flags(client, alice_key, followers_with_flags):
    key = alice_key
    status, data = call(client, key, action="services")
    assert status == 200
    assert data == [
        {"service": followers_with_flags.pk, "name": "IG Followers", "type": "Default",
         "category": "Instagram", "rate": "1.20", "min": "10", "max": "10000", "refill": True,
         "cancel": True, "dripfeed": True, "desc": "Real"}
    ]  # fmt: skip


def test_the_services_answer_goes_gzipped_to_clients_that_take_it_and_only_it(
    client, alice_key, followers_with_flags
):
    import gzip
    import json

    key = alice_key
    for i in range(20):
        make_service(make_upstream(followers_with_flags.offers.first().provider, name=f"S{i}"))
    fields = {"key": key, "action": "services"}
    plain = client.post("/api/v2", fields)
    packed = client.post("/api/v2", fields, HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    order = call(
        client,
        key,
        action="add",
        service=followers_with_flags.pk,
        link="https://x.test/z",
        quantity="100",
    )[1]["order"]
    # The answers polled all day stay as they are: compressing them costs more than it saves.
    for fields in ({"orders": f"{order},{order + 1}"}, {"order": str(order)}, {}):
        action = "status" if fields else "balance"
        answer = client.post(
            "/api/v2", {"key": key, "action": action, **fields}, HTTP_ACCEPT_ENCODING="gzip"
        )
        assert "Content-Encoding" not in answer and answer.json()


def test_add_places_an_order_like_the_order_page(
    client, alice_with_100, alice_key, followers_with_flags
):
    user, key = alice_with_100, alice_key
    _, data = call(
        client,
        key,
        action="add",
        service=followers_with_flags.pk,
        link="https://x.test/a",
        quantity="1000",
    )
    order = Order.objects.get(pk=data["order"])
    assert (order.user, order.charge, order.status) == (user, Decimal("1.2"), OrderStatus.PENDING)
    user.refresh_from_db()
    assert user.balance == Decimal("98.8")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"service": "999999", "link": "https://x.test", "quantity": "100"}, "Incorrect service ID"),
        ({"service": "abc", "link": "https://x.test", "quantity": "100"}, "Incorrect service ID"),
        ({"link": "javascript:alert(1)", "quantity": "100"}, "Incorrect link"),
        ({"link": "https://x.test", "quantity": "5"}, "Quantity less than minimal 10"),
        ({"link": "https://x.test", "quantity": "10001"}, "Quantity more than maximum 10000"),
        ({"link": "https://x.test", "quantity": "١٠٠"}, "Incorrect quantity"),
        ({"link": "https://x.test", "quantity": "9" * 40}, "Incorrect quantity"),
        ({"link": "https://x.test", "quantity": "10000", "runs": "100", "interval": "1"},
         "Not enough funds on balance"),
    ],
)  # fmt: skip
def test_add_refuses_with_the_protocol_texts_and_charges_nothing(
    client, alice_with_100, alice_key, followers_with_flags, fields, message
):
    user, key = alice_with_100, alice_key
    fields.setdefault("service", followers_with_flags.pk)
    status, data = call(client, key, action="add", **fields)
    assert (status, data) == (200, {"error": message})
    assert Order.objects.count() == 0
    user.refresh_from_db()
    assert user.balance == Decimal(100)


def test_add_with_a_reference_is_idempotent(
    client, alice_with_100, alice_key, followers_with_flags
):
    user, key = alice_with_100, alice_key
    fields = {
        "action": "add",
        "service": followers_with_flags.pk,
        "link": "https://x.test/r",
        "quantity": "100",
        "reference": "abc-1",
    }
    first = call(client, key, **fields)[1]
    second = call(client, key, **fields)[1]
    assert first == second
    assert Order.objects.count() == 1
    assert LedgerEntry.objects.filter(user=user, kind=LedgerKind.CHARGE).count() == 1


def test_status_single_and_bulk(client, alice_key, followers_with_flags):
    key = alice_key
    bob, _ = customer("bob")
    mine = call(
        client,
        key,
        action="add",
        service=followers_with_flags.pk,
        link="https://x.test/1",
        quantity="1000",
    )[1]["order"]
    theirs = Order.objects.create(
        user=bob, service=followers_with_flags, link="x", quantity=10, rate=1, charge=0
    )
    Order.objects.filter(pk=mine).update(
        status=OrderStatus.PARTIAL, start_count=50, remains=300, refunded=Decimal("0.36")
    )

    _, single = call(client, key, action="status", order=mine)
    assert single == {
        "charge": "0.84",
        "start_count": "50",
        "status": "Partial",
        "remains": "300",
        "currency": "USD",
    }

    _, bulk = call(
        client, key, action="status", orders=f"{mine}, {theirs.pk},abc,99999999999999999999"
    )
    assert bulk[str(mine)] == single
    assert bulk[str(theirs.pk)] == {"error": "Incorrect order ID"}  # never another customer's
    assert bulk["abc"] == {"error": "Incorrect order ID"}
    assert len(bulk) == 4

    assert call(client, key, action="status", order=theirs.pk)[1] == {"error": "Incorrect order ID"}
    assert call(
        client, key, action="status", orders=",".join(["1"] * 50 + [str(i) for i in range(2, 103)])
    )[1] == {"error": "Incorrect request"}
    assert call(client, key, action="status", orders="")[1] == {"error": "Incorrect order ID"}


def test_refill_cancel_and_refill_status(client, alice_with_100, alice_key, followers_with_flags):
    user, key = alice_with_100, alice_key
    order_id = call(
        client,
        key,
        action="add",
        service=followers_with_flags.pk,
        link="https://x.test/1",
        quantity="100",
    )[1]["order"]
    # Not completed yet: no refill; still pending: canceled at once with a full refund.
    assert call(client, key, action="refill", order=order_id)[1] == {
        "error": "Order not eligible for refill"
    }
    assert call(client, key, action="cancel", orders=f"{order_id},424242")[1] == [
        {"order": order_id, "cancel": 1},
        {"order": 424242, "cancel": {"error": "Incorrect order ID"}},
    ]
    assert Order.objects.get(pk=order_id).status == OrderStatus.CANCELED
    user.refresh_from_db()
    assert user.balance == Decimal(100)

    done = call(
        client,
        key,
        action="add",
        service=followers_with_flags.pk,
        link="https://x.test/2",
        quantity="100",
    )[1]["order"]
    Order.objects.filter(pk=done).update(status=OrderStatus.COMPLETED, upstream_order_id="77")
    refill_id = int(call(client, key, action="refill", order=done)[1]["refill"])
    assert Refill.objects.get(pk=refill_id).order_id == done
    assert call(client, key, action="refill", orders=f"{done},x")[1] == [
        {"order": done, "refill": {"error": "Order not eligible for refill"}},  # one open already
        {"order": "x", "refill": {"error": "Incorrect order ID"}},
    ]
    assert call(client, key, action="refill_status", refill=refill_id)[1] == {"status": "Pending"}
    assert call(client, key, action="refill_status", refills=f"{refill_id},5555")[1] == [
        {"refill": refill_id, "status": "Pending"},
        {"refill": 5555, "status": {"error": "Refill not found"}},
    ]
    assert call(client, key, action="refill_status", refill="5555")[1] == {
        "error": "Incorrect refill ID"
    }


def test_balance(client, alice_key):
    assert call(client, alice_key, action="balance")[1] == {"balance": "100.00", "currency": "USD"}


def test_transport_variants_all_work(client, alice_key):
    key = alice_key
    assert client.get("/api/v2", {"key": key, "action": "balance"}).json()["balance"] == "100.00"
    assert client.post(f"/api/v2/?key={key}&action=balance").json()["balance"] == "100.00"
    from django.test.client import MULTIPART_CONTENT

    multipart = client.post(
        "/api/v2", {"key": key, "action": "balance"}, content_type=MULTIPART_CONTENT
    )
    assert multipart.json()["balance"] == "100.00"


def test_a_field_sent_twice_counts_once_with_its_last_value_and_the_body_wins(client, alice_key):
    key = alice_key
    form = "application/x-www-form-urlencoded"
    twice = client.post("/api/v2", f"key={key}&action=launch&action=balance", content_type=form)
    assert twice.json()["balance"] == "100.00"
    over = client.post(f"/api/v2?key={key}&action=launch", "action=balance", content_type=form)
    assert over.json()["balance"] == "100.00"


def test_bad_keys_and_actions(client, alice_key):
    key = alice_key
    assert call(client, "nope", action="balance")[1] == {"error": "Invalid API key"}
    assert call(client, key[:-1] + ("A" if key[-1] != "A" else "B"), action="balance")[1] == {
        "error": "Invalid API key"
    }
    assert call(client, key)[1] == {"error": "Incorrect request"}
    assert call(client, key, action="launch_rockets")[1] == {"error": "Incorrect request"}


def test_a_wrong_key_shows_no_status_though_the_status_rides_with_the_key_check(
    client, alice_key, followers_with_flags
):
    key = alice_key
    order = call(
        client,
        key,
        action="add",
        service=followers_with_flags.pk,
        link="https://x.test/1",
        quantity="100",
    )[1]["order"]
    wrong = key[:-1] + ("A" if key[-1] != "A" else "B")  # the same prefix: the row is found
    for fields in ({"orders": str(order)}, {"orders": f"{order},x"}, {"order": str(order)}):
        assert call(client, wrong, action="status", **fields)[1] == {"error": "Invalid API key"}
    assert call(client, key, action="status", orders=f"{order},x")[1][str(order)]["status"] == (
        "Pending"
    )


def test_a_regenerated_key_replaces_the_old_one_at_once(client, alice_with_100, alice_key):
    user, old = alice_with_100, alice_key
    new = issue_key(user)
    assert call(client, old, action="balance")[1] == {"error": "Invalid API key"}
    assert "balance" in call(client, new, action="balance")[1]
    assert ApiKey.objects.get(user=user).digest != new  # only a digest is stored


def test_staff_can_switch_api_access_off(client, alice_with_100, alice_key):
    user, key = alice_with_100, alice_key
    ApiKey.objects.filter(user=user).update(enabled=False)
    assert call(client, key, action="balance")[1] == {"error": "Invalid API key"}


def test_rate_limit_answers_429(client, alice_key, settings):
    settings.API_RATE_PER_KEY = 3
    key = alice_key
    codes = [call(client, key, action="balance")[0] for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert call(client, key, action="balance")[1] == {"error": "Too many requests"}


def test_the_per_ip_limit_counts_clients_apart_behind_a_proxy(client, alice_key, settings):
    settings.API_RATE_PER_IP = 2
    settings.TRUSTED_PROXIES = ["10.0.0.2/32"]
    key = alice_key
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def code(forwarded: str) -> int:
        fields = {"key": key, "action": "balance"}
        return client.post("/api/v2", fields, HTTP_X_FORWARDED_FOR=forwarded, **proxy).status_code

    assert [code("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert code("203.0.113.8") == 200  # another client behind the same proxy
    assert code("203.0.113.9, 203.0.113.7") == 429  # a spoofed entry changes nothing


def test_the_key_never_reaches_the_logs(client, alice_key, followers_with_flags, caplog):
    key = alice_key
    caplog.set_level("DEBUG")
    call(
        client,
        key,
        action="add",
        service=followers_with_flags.pk,
        link="https://x.test",
        quantity="100",
    )
    call(client, key, action="status", orders="1,2,x")
    call(client, key + "x", action="balance")
    assert key not in caplog.text


FIELD_NAMES = ["key", "action", "service", "link", "quantity", "order", "orders", "refill", "refills",
               "runs", "interval", "comments", "reference", "username", "min", "max", "posts"]  # fmt: skip
ACTIONS = [
    "services",
    "add",
    "status",
    "refill",
    "refill_status",
    "cancel",
    "balance",
    "",
    "ADD",
    "x",
]
values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["1", "0", "-1", "1e3", "١٠٠", "9" * 30, "1,2,3", ",", "' OR 1=1 --", "<b>x</b>", "\x00"]
    ),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)


@pytest.mark.slow  # many examples, or processes: seconds
@settings(
    max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=8),
    action=st.sampled_from(ACTIONS),
)
def test_random_bodies_never_5xx_and_rejected_requests_charge_nothing(
    client, alice_with_100, alice_key, followers_with_flags, body, action
):
    user, key = alice_with_100, alice_key
    body = {**body, "action": action}
    body.setdefault("key", key)
    body = {k: v.replace("\x00", "") for k, v in body.items()}  # a form cannot carry NUL bytes
    before = User.objects.get(pk=user.pk).balance
    response = client.post("/api/v2", body)
    assert response.status_code in (200, 429)
    data = response.json()
    after = User.objects.get(pk=user.pk).balance
    if not (isinstance(data, dict) and "order" in data):
        assert after == before
    ratelimit.reset()
    Service.objects.filter(pk=followers_with_flags.pk).update(enabled=True)


@pytest.mark.parametrize(
    "free", [{"fixed_rate": Decimal(0)}, {"markup_percent": Decimal(-100)}], ids=["fixed", "markup"]
)
def test_a_service_at_a_zero_rate_is_neither_listed_nor_sold(client, alice_key, free):
    paid = make_service(make_upstream(make_provider(), rate="1", name="Paid"))
    zero = make_service(make_upstream(make_provider(), rate="1", name="Free"), **free)
    _, listed = call(client, alice_key, action="services")
    assert [row["service"] for row in listed] == [paid.pk]
    status, answer = call(
        client, alice_key, action="add", service=zero.pk, link="https://x.test/a", quantity=100
    )
    assert (status, answer) == (200, {"error": "Incorrect service ID"})
    assert Order.objects.count() == 0
