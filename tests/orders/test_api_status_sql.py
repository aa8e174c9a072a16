"""The bulk status is answered from orders_order.api_status, a column PostgreSQL keeps (migration
orders 0003): it must say exactly what the Python formatter (_status_of, used for a single
order and on SQLite) says, byte for byte, for every status and amount."""

from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders import api
from orders.models import Order, OrderStatus
from tests.catalog.factories import make_provider, make_service, make_upstream

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the column is PostgreSQL's"),
]

# Amounts as the money columns hold them: up to 13 digits and 7 decimals.
amounts = st.decimals(
    min_value=0, max_value=Decimal("9999999999999.9999999"), places=7, allow_nan=False
)


def stored(order_id: int) -> str:
    """The order's answer as the bulk status reads it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_status FROM orders_order WHERE id = %s", [order_id])
        return cursor.fetchone()[0] + '"USD"}'


def by_python(user, order_id: int) -> str:
    (row,) = api._status_rows(user, [order_id])
    return api.to_json(api._status_of(row, "USD"))


@pytest.fixture
def service():
    return make_service(make_upstream(make_provider(), rate="0.9", min=10, max=100_000))


@pytest.fixture
def order(service, django_user_model):
    user = django_user_model.objects.create_user("bob")
    return Order.objects.create(
        user=user, service=service, link="https://x.test/", quantity=100, rate=1, charge=1
    )


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(charge=amounts, refunded_share=st.integers(min_value=0, max_value=100))
def test_every_amount_is_written_like_the_python_formatter(order, charge, refunded_share):
    refunded = (charge * refunded_share / 100).quantize(Decimal("0.0000001"), "ROUND_DOWN")
    Order.objects.filter(pk=order.pk).update(charge=charge, refunded=refunded)
    assert stored(order.pk) == by_python(order.user, order.pk)


@pytest.mark.parametrize(
    "charge, refunded, text",
    [("0", "0", "0.00"), ("1.2", "0", "1.20"), ("100", "0", "100.00"),
     ("0.2781900", "0", "0.27819"), ("0.0000001", "0", "0.0000001"), ("12.34", "0", "12.34"),
     ("6.75", "1.5", "5.25"), ("5.10", "5.10", "0.00")],
)  # fmt: skip
def test_money_examples(order, charge, refunded, text):
    Order.objects.filter(pk=order.pk).update(charge=Decimal(charge), refunded=Decimal(refunded))
    assert f'"charge":"{text}"' in stored(order.pk)
    assert stored(order.pk) == by_python(order.user, order.pk)


def test_every_status_and_progress_answers_as_the_python_formatter(service, django_user_model):
    user = django_user_model.objects.create_user("carol")
    orders = []
    for state in OrderStatus:
        for start_count, remains, runs, refunded in [
            (None, None, None, "0"),
            (1234, 17, None, "0.0123400"),
            (0, 0, 5, "1.5"),
            (None, None, 3, "0"),
        ]:
            orders.append(
                Order.objects.create(
                    user=user,
                    service=service,
                    link="https://x.test/",
                    quantity=1500,
                    runs=runs,
                    rate=Decimal("0.9"),
                    charge=Decimal("6.7500000"),
                    status=state,
                    start_count=start_count,
                    remains=remains,
                    refunded=Decimal(refunded),
                )
            )
    ids = [order.pk for order in orders]
    rows = {row[0]: row for row in api._status_rows(user, ids)}
    assert set(rows) == set(ids)
    expected = ",".join(f'"{i}":{api.to_json(api._status_of(rows[i], "USD"))}' for i in ids)
    assert api._statuses_json(user, api._asked_orders(",".join(map(str, ids)))) == expected


def test_the_bulk_answer_answers_every_id_once(service, django_user_model):
    user = django_user_model.objects.create_user("dave")
    other = django_user_model.objects.create_user("erin")
    fields = {"service": service, "link": "https://x.test/", "quantity": 100, "rate": 1}
    mine = [Order.objects.create(user=user, charge=Decimal("0.1"), **fields).pk for _ in range(3)]
    theirs = Order.objects.create(user=other, charge=Decimal("0.1"), **fields).pk
    asked = f'{mine[2]},x"<b>,{theirs},{mine[0]}, {mine[2]},é,{mine[1]},{10**15}'

    text = api.status(user, {"orders": asked})

    one = '{"charge":"0.10","start_count":"0","status":"Pending","remains":"100","currency":"USD"}'
    error = '{"error":"Incorrect order ID"}'
    # The numbers in the order asked, then the ids that are not numbers.
    assert text == (
        f'{{"{mine[2]}":{one},"{theirs}":{error},"{mine[0]}":{one},"{mine[1]}":{one},'
        f'"{10**15}":{error},"x\\"<b>":{error},"\\u00e9":{error}}}'
    )
    assert api.status(user, {"orders": str(theirs)}) == f'{{"{theirs}":{error}}}'


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=10**19).map(str),
            st.text("0123456789", min_size=1, max_size=20),
        ),
        min_size=1,
        max_size=120,
    )
)
def test_plain_id_lists_parse_as_the_general_parser_does(parts):
    raw = ",".join(parts)
    general = api._each_id(raw)
    assert api._ids(raw) == general
    asked = api._asked_orders(raw)
    if isinstance(general, dict):
        assert asked == general
    else:
        assert asked.numbers == tuple(i for i in general if isinstance(i, int))
        assert asked.others == tuple(i for i in general if not isinstance(i, int))
        assert asked.array == "{" + ",".join(map(str, asked.numbers)) + "}"
