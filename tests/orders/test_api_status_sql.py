"""The bulk status is answered from orders_order.api_status, a column PostgreSQL keeps (migration
orders 0003): it must say exactly what the Python formatter (_status_of, used for a single
order and on SQLite) says, byte for byte, for every status and amount."""

from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders import api
from orders.ids import _parse_each, parse_id_list
from orders.models import Order, OrderStatus

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
def order(service, django_user_model):
    user = django_user_model.objects.create_user("bob")
    return Order.objects.create(
        user=user, service=service, link="https://x.test/", quantity=100, rate=1, charge=1
    )


@pytest.mark.slow  # many examples
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
    assert api._statuses_json(user, parse_id_list(",".join(map(str, ids)))) == expected


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


@pytest.mark.slow  # many examples
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
    general = _parse_each(raw)
    asked = parse_id_list(raw)
    if isinstance(general, dict):
        assert asked == general
    else:
        assert asked.ids == general.ids
        assert asked.numbers == tuple(i for i in general.ids if isinstance(i, int))
        assert asked.others == tuple(i for i in general.ids if not isinstance(i, int))
        # The array literal PostgreSQL reads: the numbers, each once, in turn.
        assert asked.array[0] + asked.array[-1] == "{}"
        inside = asked.array[1:-1]
        assert tuple(int(n) for n in inside.split(",") if inside) == asked.numbers


def _scans(plan: dict) -> list[tuple[str, str | None]]:
    """(node type, index condition) of every node of `plan` reading orders_order."""
    found = []
    if plan.get("Relation Name") == "orders_order":
        found.append((plan["Node Type"], plan.get("Index Cond")))
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


def test_each_id_is_looked_up_by_primary_key_however_few_orders_statistics_show(
    service, django_user_model
):
    """A reseller's orders must never be read all to answer 100 of them. With a join, a
    planner that believes the customer has few orders (as statistics of a young table say)
    plans a scan of all of them by user_id and a hash; the bulk status asks for one lookup
    per id instead, whatever the statistics."""
    from accounts.apikeys import _lookup_with

    user = django_user_model.objects.create_user("frank")
    fields = {"service": service, "link": "https://x.test/", "quantity": 100, "rate": 1}
    ids = [Order.objects.create(user=user, charge=1, **fields).pk for _ in range(30)]
    others = [django_user_model.objects.create_user(f"other{i}").pk for i in range(50)]
    with connection.cursor() as cursor:  # a table too big to scan whole, few orders each
        cursor.execute(
            "INSERT INTO orders_order (user_id, service_id, link, quantity, rate, charge, status,"
            " upstream_status, remains_raw, error, attempts, refunded, extra, upstream_detail,"
            " flag, tried_offers, created_at, updated_at) SELECT (%s::bigint[])[1 + n %% 50],"
            " service_id, link, quantity, rate, charge, status, upstream_status, remains_raw,"
            " error, attempts, refunded, extra, upstream_detail, flag, tried_offers, created_at,"
            " updated_at FROM orders_order, generate_series(1, 5000) n WHERE id = %s",
            ["{" + ",".join(map(str, others)) + "}", ids[0]],
        )
    asked = parse_id_list(",".join(map(str, ids)))
    params = {**api._statuses_params(asked), "user": user.pk, "prefix": "x" * 12, "stale": None}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
        for sql in (api._STATUSES_JSON, _lookup_with(api._STATUSES_ALONG)):
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            scans = _scans(cursor.fetchone()[0][0]["Plan"])
            assert len(scans) == 1, scans
            kind, condition = scans[0]
            # By primary key, or by (user_id, id): one row each; never all the customer's.
            assert kind == "Index Scan" and "(id = asked.id)" in condition, scans


def test_the_members_come_in_the_order_asked(service, django_user_model):
    import json
    import random

    user = django_user_model.objects.create_user("gina")
    fields = {"service": service, "link": "https://x.test/", "quantity": 100, "rate": 1}
    ids = [Order.objects.create(user=user, charge=1, **fields).pk for _ in range(60)]
    ids += [10**12 + n for n in range(40)]  # not hers: errors in their places
    random.Random(5).shuffle(ids)

    text = api.status(user, {"orders": ",".join(map(str, ids))})

    members = json.loads(text, object_pairs_hook=list)
    assert [int(name) for name, _ in members] == ids


def test_the_columns_the_generated_column_reads_are_the_ones_the_model_names():
    """orders.models.API_STATUS_READS warns that PostgreSQL refuses to alter these columns'
    types; it must name every column api_status reads, as the database records them."""
    from orders.models import API_STATUS_READS

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT a.attname FROM pg_attrdef ad
            JOIN pg_attribute g ON g.attrelid = ad.adrelid AND g.attnum = ad.adnum
            JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
            JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE ad.adrelid = 'orders_order'::regclass AND g.attname = 'api_status'
                AND a.attnum <> g.attnum ORDER BY a.attname"""
        )
        reads = tuple(name for (name,) in cursor.fetchall())
    assert reads == API_STATUS_READS
