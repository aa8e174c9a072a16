from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts import ledger
from accounts.models import LedgerEntry, LedgerKind, User
from catalog.models import Service
from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import fund
from orders.models import Order, OrderStatus
from orders.placing import place_mass_order, place_order
from orders.validation import OrderError
from panel.money import order_charge

pytestmark = pytest.mark.django_db


@pytest.fixture
def followers_to_100k():
    """Followers at a fixed 1.2345 per 1000, 10 to 100,000, drip-feed allowed."""
    return make_service(
        make_upstream(make_provider(), rate="1.2345", min=10, max=100_000, dripfeed=True),
        fixed_rate=Decimal("1.2345"),
    )


def order(user, service, **fields):
    return place_order(
        user=user, service_id=service.pk, fields={"link": "https://x.test/p", **fields}
    )


def test_placing_debits_the_charge_and_writes_one_charge_row(alice_with_100, followers_to_100k):
    placed = order(alice_with_100, followers_to_100k, quantity="1000")

    assert placed.status == OrderStatus.PENDING
    assert placed.charge == Decimal("1.2345")
    alice_with_100.refresh_from_db()
    assert alice_with_100.balance == Decimal("98.7655")
    entry = LedgerEntry.objects.get(order=placed)
    assert (entry.kind, entry.amount, entry.balance_after) == (
        LedgerKind.CHARGE,
        Decimal("-1.2345"),
        Decimal("98.7655"),
    )


def test_drip_feed_charges_every_run(alice_with_100, followers_to_100k):
    placed = order(alice_with_100, followers_to_100k, quantity="100", runs="5", interval="30")
    assert (placed.runs, placed.interval) == (5, 30)
    assert placed.charge == Decimal("0.61725")


@pytest.mark.parametrize(
    "quantity", ["1_000", "١٠٠", "100.0", "1e3", "-5", str(2**31), "", " ", "12 3", "0x10", "²"]
)
def test_a_malformed_quantity_is_refused_and_nothing_charged(
    alice_with_100, followers_to_100k, quantity
):
    with pytest.raises(OrderError) as caught:
        order(alice_with_100, followers_to_100k, quantity=quantity)
    assert caught.value.message == "Incorrect quantity"
    assert Order.objects.count() == 0
    alice_with_100.refresh_from_db()
    assert alice_with_100.balance == Decimal(100)


def test_quantity_outside_min_and_max_uses_the_protocol_texts(alice_with_100, followers_to_100k):
    with pytest.raises(OrderError, match="Quantity less than minimal 10"):
        order(alice_with_100, followers_to_100k, quantity="9")
    with pytest.raises(OrderError, match="Quantity more than maximum 100000"):
        order(alice_with_100, followers_to_100k, quantity="100001")


def test_drip_feed_checks_the_quantity_per_run(alice_with_100, followers_to_100k):
    with pytest.raises(OrderError, match="Quantity less than minimal 10"):
        order(alice_with_100, followers_to_100k, quantity="5", runs="10", interval="5")


def test_quantity_must_be_a_multiple_of_the_step(alice_with_100, followers_to_100k):
    Service.objects.filter(pk=followers_to_100k.pk).update(step=100)
    with pytest.raises(OrderError) as caught:
        order(alice_with_100, followers_to_100k, quantity="150")
    assert "multiple of 100" in caught.value.detail
    assert order(alice_with_100, followers_to_100k, quantity="200").quantity == 200


@pytest.mark.parametrize(
    "link",
    [
        "",
        "x.test/p",
        "javascript:alert(1)",
        "ftp://x.test/p",
        "https://x.test/a b",
        "https://x.test/\x00",
        "https://x.test/\x7f",
        "https://x.test/" + "a" * 2000,
        "https:///nohost",
    ],
)
def test_a_bad_link_is_refused(alice_with_100, followers_to_100k, link):
    with pytest.raises(OrderError, match="Incorrect link"):
        place_order(
            user=alice_with_100,
            service_id=followers_to_100k.pk,
            fields={"link": link, "quantity": "100"},
        )
    assert LedgerEntry.objects.filter(kind=LedgerKind.CHARGE).count() == 0


@pytest.mark.parametrize("service_id", ["", "abc", "99999", "1.0", "-1", None, "１"])
def test_an_unknown_service_is_refused(alice_with_100, service_id):
    with pytest.raises(OrderError, match="Incorrect service ID"):
        place_order(
            user=alice_with_100,
            service_id=service_id,
            fields={"link": "https://x.test", "quantity": "10"},
        )


def test_a_disabled_or_vanished_service_is_refused(alice_with_100, followers_to_100k):
    Service.objects.filter(pk=followers_to_100k.pk).update(enabled=False)
    with pytest.raises(OrderError, match="Incorrect service ID"):
        order(alice_with_100, followers_to_100k, quantity="100")
    Service.objects.filter(pk=followers_to_100k.pk).update(enabled=True, available=False)
    with pytest.raises(OrderError, match="Incorrect service ID"):
        order(alice_with_100, followers_to_100k, quantity="100")


def test_insufficient_funds_tells_the_exact_shortfall_and_charges_nothing(
    alice_with_100, followers_to_100k
):
    with pytest.raises(ledger.InsufficientFunds) as caught:
        order(alice_with_100, followers_to_100k, quantity="100000")  # 123.45
    assert caught.value.shortfall == Decimal("23.45")
    assert Order.objects.count() == 0
    alice_with_100.refresh_from_db()
    assert alice_with_100.balance == Decimal(100)


def test_a_charge_that_uses_the_whole_balance_is_accepted(followers_to_100k):
    bob = User.objects.create_user("bob")
    fund(bob, "1.2345")
    order(bob, followers_to_100k, quantity="1000")
    bob.refresh_from_db()
    assert bob.balance == 0


def test_placement_costs_at_most_six_queries(alice_with_100, followers_to_100k):
    with CaptureQueriesContext(connection) as queries:
        order(alice_with_100, followers_to_100k, quantity="1000")
    assert len(queries) <= 6, [q["sql"][:80] for q in queries]


def test_package_is_charged_its_flat_rate(alice_with_100):
    package = make_service(make_upstream(make_provider(), rate="4.5", type="Package", min=1, max=1))
    placed = order(alice_with_100, package)
    assert (placed.quantity, placed.charge) == (1, Decimal("4.5"))


def test_custom_comments_count_their_lines(alice_with_100):
    comments = make_service(
        make_upstream(make_provider(), rate="10", type="Custom Comments", min=1, max=100)
    )
    placed = order(alice_with_100, comments, comments="nice\n\n great \nwow\n")
    assert placed.quantity == 3
    assert placed.extra == {"comments": "nice\ngreat\nwow"}
    assert placed.charge == Decimal("0.03")


def test_subscription_pays_for_max_on_every_post(alice_with_100):
    subs = make_service(
        make_upstream(make_provider(), rate="2", type="Subscriptions", min=10, max=1000)
    )
    placed = place_order(
        user=alice_with_100,
        service_id=subs.pk,
        fields={"username": "nasa", "min": "100", "max": "200", "posts": "5", "old_posts": "2"},
    )
    assert placed.link == ""
    assert placed.charge == Decimal("2.8")  # 2 × 200 × 7 / 1000


# --- the database itself refuses what code must never do ----------------------------------


def test_the_database_refuses_a_negative_balance(alice_with_100):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=alice_with_100.pk).update(balance=Decimal("-0.0000001"))


def test_the_database_refuses_a_second_charge_row_for_an_order(alice_with_100, followers_to_100k):
    placed = order(alice_with_100, followers_to_100k, quantity="100")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            user=alice_with_100,
            kind=LedgerKind.CHARGE,
            amount=Decimal(-1),
            balance_after=Decimal(1),
            order=placed,
        )


def test_the_database_refuses_to_update_or_delete_a_ledger_row(alice_with_100):
    entry = LedgerEntry.objects.get(user=alice_with_100)
    for sql in (
        "UPDATE accounts_ledgerentry SET amount = 1000 WHERE id = %s",
        "DELETE FROM accounts_ledgerentry WHERE id = %s",
    ):
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=5)
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


# --- mass order -------------------------------------------------------------------------------


def test_mass_order_places_the_valid_lines_and_reports_bad_ones(alice_with_100, followers_to_100k):
    text = f"{followers_to_100k.pk}|https://x.test/1|100\n\n{followers_to_100k.pk}|not a link|100\n999999|https://x.test/2|100\n{followers_to_100k.pk}|https://x.test/3|1_000\n{followers_to_100k.pk}|https://x.test/4|200"
    result = place_mass_order(user=alice_with_100, text=text)
    assert [o.link for o in result.orders] == ["https://x.test/1", "https://x.test/4"]
    assert [e.line for e in result.errors] == [3, 4, 5]
    assert result.total == Decimal("0.37035")


def test_mass_order_beyond_the_balance_places_nothing(alice_with_100, followers_to_100k):
    text = "\n".join(
        f"{followers_to_100k.pk}|https://x.test/{i}|50000" for i in range(2)
    )  # 2 × 61.725
    with pytest.raises(ledger.InsufficientFunds):
        place_mass_order(user=alice_with_100, text=text)
    assert Order.objects.count() == 0
    alice_with_100.refresh_from_db()
    assert alice_with_100.balance == Decimal(100)


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    rate=st.decimals(
        min_value=0, max_value=100_000, places=4, allow_nan=False, allow_infinity=False
    ),
    quantity=st.integers(min_value=0, max_value=2**31 - 1),
    runs=st.integers(min_value=1, max_value=1000),
)
def test_charge_is_exactly_rate_times_quantity_times_runs_over_1000(rate, quantity, runs):
    charge = order_charge(rate=rate, quantity=quantity, runs=runs)
    assert isinstance(charge, Decimal)
    assert charge >= 0
    assert charge * 1000 == rate * quantity * runs  # exact: no rounding happened
    assert charge.as_tuple().exponent >= -7


def test_a_service_at_a_zero_rate_is_not_sold(alice_with_100):
    # A -100% markup sold at 0.0000 while the panel still paid upstream: not on sale any more.
    free = make_service(make_upstream(make_provider(), rate="1"), markup_percent=Decimal(-100))
    with pytest.raises(OrderError, match="Incorrect service ID"):
        order(alice_with_100, free, quantity="100")
    assert Order.objects.count() == 0


def test_a_zero_rate_left_on_a_row_marked_available_is_refused_too(alice_with_100):
    service = make_service(make_upstream(make_provider(), rate="1"))
    Service.objects.filter(pk=service.pk).update(rate=Decimal(0))  # no reprice: a stale row
    with pytest.raises(OrderError, match="Incorrect service ID"):
        order(alice_with_100, service, quantity="100")
    assert Order.objects.count() == 0


def test_a_quantity_of_zero_is_refused_when_the_minimum_is_zero(alice_with_100):
    service = make_service(make_upstream(make_provider(), rate="1", min=0))
    assert service.min == 0
    with pytest.raises(OrderError, match="Quantity less than minimal 1"):
        order(alice_with_100, service, quantity="0")
    assert Order.objects.count() == 0


def test_a_price_change_after_caching_charges_the_new_price(alice_with_100, followers_to_100k):
    order(alice_with_100, followers_to_100k, quantity="1000")  # caches the service at 1.2345
    Service.objects.filter(pk=followers_to_100k.pk).update(fixed_rate=Decimal(2), rate=Decimal(2))
    placed = order(alice_with_100, followers_to_100k, quantity="1000")
    assert (placed.rate, placed.charge) == (Decimal(2), Decimal(2))


def test_a_service_withdrawn_after_caching_is_refused(alice_with_100, followers_to_100k):
    order(alice_with_100, followers_to_100k, quantity="1000")
    Service.objects.filter(pk=followers_to_100k.pk).update(enabled=False)
    with pytest.raises(OrderError, match="Incorrect service ID"):
        order(alice_with_100, followers_to_100k, quantity="1000")
    assert Order.objects.count() == 1


def test_the_placement_insert_writes_every_column_an_order_needs():
    """orders.placing.ORDER_COLUMNS is written by hand (one fixed statement, prepared): an Order
    field added without it must fail here, unless the column may be NULL."""
    from orders.placing import ORDER_COLUMNS

    left_out = [
        field.name
        for field in Order._meta.concrete_fields
        if not field.primary_key and field.column not in ORDER_COLUMNS and not field.null
    ]
    assert left_out == [], f"add these to orders.placing.ORDER_COLUMNS: {left_out}"
    unknown = set(ORDER_COLUMNS) - {field.column for field in Order._meta.concrete_fields}
    assert unknown == set()


def test_the_placement_insert_writes_the_models_defaults(alice_with_100, followers_to_100k):
    """Every column the statement fills with a literal holds what the model would have put."""
    from orders.placing import ORDER_COLUMNS

    placed = Order.objects.get(pk=order(alice_with_100, followers_to_100k, quantity="1000").pk)
    literals = [
        f for f in Order._meta.concrete_fields if "%(" not in ORDER_COLUMNS.get(f.column, "%(")
    ]
    assert len(literals) == 9
    for field in literals:
        assert getattr(placed, field.attname) == field.get_default(), field.name
