"""The orders list's tab counts, service and date filters, "order again", and the CSV export:
the same rows as the list under the same filters, every page, streamed."""

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache

from accounts.models import User
from catalog.models import Service
from orders import customer_list
from orders.models import Order, OrderStatus

from .helpers import order_row, row_ids, service_of

pytestmark = pytest.mark.django_db

LIST, CSV = "/orders", "/orders.csv"
S = OrderStatus


def named(service, name: str):
    Service.objects.filter(pk=service.pk).update(name=name)
    service.name = name
    return service


def csv_rows(response) -> list[dict[str, str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def list_rows(html: str) -> list[dict[str, str]]:
    """The list's rows as text, cell by cell (tags dropped), keyed like the CSV."""
    rows = []
    for body in re.findall(r'<tr class="order" data-id="\d+">(.*?)</tr>', html, re.S):
        cells = dict(re.findall(r'<td class="([\w ]+)"[^>]*>(.*?)</td>', body, re.S))

        def text(name):
            return unescape(re.sub(r"<[^>]+>", " ", cells[name])).split()

        # Amounts as exact as the CSV's: a rounded one carries the exact figure in its title.
        charge = [
            (exact or shown).replace(",", "")
            for exact, shown in re.findall(
                r'<span class="money"(?: title="Exactly ([^"]*)")?>([^<]*)</span>',
                cells["num charge"],
            )
        ]
        # A drip-feed order reads "500 (100 × 5 runs)": the CSV has the quantity of one run.
        quantity = text("num qty")
        rows.append(
            {
                "ID": text("id")[0],
                "Date": " ".join(text("date")),
                "Service": " ".join(text("service")),
                "Link": unescape(re.search(r'title="([^"]*)"', cells["link"])[1]),
                "Quantity": (quantity[1][1:] if len(quantity) > 1 else quantity[0]).replace(
                    ",", ""
                ),
                "Runs": quantity[3] if len(quantity) > 1 else "",
                "Paid": charge[0],
                "Refunded": charge[1] if "refunded" in text("num charge") else "0.00",
                "Start count": text("num start")[0].replace(",", "").replace("–", ""),
                "Remains": text("num remains")[0].replace(",", "").replace("–", ""),
                "Status": text("status")[0] if text("status")[0] != "In" else "In progress",
            }
        )
    return rows


def test_tabs_show_how_many_orders_each_holds(
    alice_client, alice_with_100, bob_with_100, followers
):
    for status, n in [(S.PENDING, 2), (S.HELD, 1), (S.COMPLETED, 3), (S.FAILED, 1)]:
        for _ in range(n):
            order_row(alice_with_100, followers, status=status)
    order_row(bob_with_100, followers, status=S.COMPLETED)  # not hers

    html = alice_client.get(LIST).content.decode()

    counts = dict(re.findall(r'>([A-Z][a-z ]+) <span class="count">(\d+)</span></a>', html))
    assert counts == {
        "All": "7", "Pending": "3", "In progress": "0", "Completed": "3", "Partial": "0",
        "Canceled": "0", "Failed": "1",
    }  # fmt: skip
    assert "7 orders." in html


def test_filter_by_service_and_by_dates_in_the_customers_time_zone(
    alice_client, alice_with_100, followers
):
    likes = named(service_of(), "Instagram Likes")
    old = order_row(alice_with_100, followers)
    late = order_row(alice_with_100, likes)
    new = order_row(alice_with_100, likes)
    when = {
        old: datetime(2026, 1, 10, 12, 0, tzinfo=UTC),
        late: datetime(2026, 1, 31, 20, 0, tzinfo=UTC),  # 1 February in Kolkata (UTC+5:30)
        new: datetime(2026, 2, 15, 9, 0, tzinfo=UTC),
    }
    for order, at in when.items():
        Order.objects.filter(pk=order.pk).update(created_at=at)

    def ids(**params):
        return row_ids(alice_client.get(LIST, params).content.decode())

    assert ids(service=likes.pk) == [new.pk, late.pk]
    assert ids(service=followers.pk) == [old.pk]
    assert ids(**{"from": "2026-02-01"}) == [new.pk]
    assert ids(to="2026-01-31") == [late.pk, old.pk]
    assert ids(**{"from": "2026-01-31", "to": "2026-01-31"}) == [late.pk]
    User.objects.filter(pk=alice_with_100.pk).update(time_zone="Asia/Kolkata")
    assert ids(**{"from": "2026-02-01"}) == [new.pk, late.pk]
    assert ids(**{"from": "2026-02-01", "service": followers.pk}) == []
    # The service filter offers the services she ordered, the tabs count what the filters keep.
    html = alice_client.get(LIST, {"service": likes.pk}).content.decode()
    assert f'<option value="{likes.pk}" selected>{likes.pk} · Instagram Likes</option>' in html
    assert 'All <span class="count">2</span>' in html
    # Nonsense dates are ignored.
    assert ids(**{"from": "yesterday", "to": "2026-13-45"}) == [new.pk, late.pk, old.pk]


def test_the_csv_holds_exactly_the_rows_the_list_shows(alice_client, alice_with_100, followers):
    User.objects.filter(pk=alice_with_100.pk).update(time_zone="America/New_York")
    order_row(alice_with_100, followers, link="https://instagram.com/a", quantity=1500)
    order_row(
        alice_with_100, followers, status=S.PARTIAL, start_count=3572, remains=157,
        quantity=1000, refunded=Decimal("0.1938165"), link="https://instagram.com/p,\"q\"",
    )  # fmt: skip
    order_row(alice_with_100, followers, status=S.COMPLETED, link="=HYPERLINK(1)")
    order_row(alice_with_100, named(service_of(), "Drip"), quantity=100, runs=5, interval=10)

    html = alice_client.get(LIST).content.decode()
    rows = csv_rows(alice_client.get(CSV))

    shown = list_rows(html)
    assert len(shown) == len(rows) == 4
    for in_list, in_csv in zip(shown, rows, strict=True):
        assert in_csv["Link"] in (in_list["Link"], "'" + in_list["Link"])
        comparable = {k: v for k, v in in_list.items() if k != "Link"}
        assert {k: in_csv[k if k in in_csv else f"{k} (USD)"] for k in comparable} == comparable
    partial = rows[2]
    assert partial["Charge (USD)"] == "1.2345"
    assert (partial["Refunded (USD)"], partial["Paid (USD)"]) == ("0.1938165", "1.0406835")
    assert rows[1]["Link"] == "'=HYPERLINK(1)"  # a spreadsheet never runs it
    assert rows[0]["Runs"] == "5"


def test_the_csv_follows_the_lists_filters_and_covers_every_page(
    alice_client, alice_with_100, bob_with_100, followers
):
    done = [order_row(alice_with_100, followers, status=S.COMPLETED) for _ in range(60)]
    order_row(alice_with_100, followers, status=S.PENDING)
    order_row(bob_with_100, followers, status=S.COMPLETED)

    html = alice_client.get(LIST, {"status": "completed"}).content.decode()
    link = unescape(re.search(r'href="(/orders\.csv[^"]*)"', html)[1])
    response = alice_client.get(link)

    assert parse_qs(urlsplit(link).query) == {"status": ["completed"]}
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="orders-')
    assert [int(row["ID"]) for row in csv_rows(response)] == [o.pk for o in reversed(done)]


def test_the_csv_needs_a_login(client):
    assert client.get(CSV)["Location"].startswith("/login")


def test_order_again_opens_the_form_filled_like_the_order(alice_client, alice_with_100, followers):
    order = order_row(
        alice_with_100, followers, link="https://instagram.com/p/x?a=1&b=2", quantity=250
    )

    html = alice_client.get(LIST).content.decode()
    again = unescape(re.search(r'<a class="order-again" href="([^"]*)"', html)[1])
    assert parse_qs(urlsplit(again).query) == {
        "service": [str(followers.pk)], "link": ["https://instagram.com/p/x?a=1&b=2"],
        "quantity": ["250"],
    }  # fmt: skip

    form = alice_client.get(again).content.decode()
    assert 'name="link" value="https://instagram.com/p/x?a=1&amp;b=2"' in form
    assert 'name="quantity" value="250"' in form
    assert (
        f'<input type="hidden" name="service" id="service-id" value="{order.service_id}">' in form
    )


@pytest.mark.parametrize(
    ("link", "quantity", "shown_link", "shown_quantity"),
    [
        ("https://a.test/x", "99999999", "https://a.test/x", ""),  # above the max
        ("https://a.test/x", "5", "https://a.test/x", ""),  # below the min
        ("https://a.test/x", "1e3", "https://a.test/x", ""),
        ("https://a.test/\x00", "-100", "", ""),
        ("x" * 2001, "100", "", "100"),
        ('"><script>', "100", "&quot;&gt;&lt;script&gt;", "100"),
    ],
)
def test_the_forms_first_values_are_checked(
    alice_client, alice_with_100, followers, link, quantity, shown_link, shown_quantity
):
    form = alice_client.get(
        "/order/new", {"service": followers.pk, "link": link, "quantity": quantity}
    ).content.decode()

    assert f'name="link" value="{shown_link}"' in form
    assert f'name="quantity" value="{shown_quantity}"' in form
    assert "<script>" not in form.split("<main")[1].split('id="order-data"')[0]


def test_a_very_large_customers_tab_counts_come_from_the_cache_for_a_minute(
    alice_client, alice_with_100, followers, monkeypatch
):
    monkeypatch.setattr(customer_list, "LIVE_COUNTS_UP_TO", 2)
    cache.delete(f"orders:tab-counts:{alice_with_100.pk}")
    orders = [order_row(alice_with_100, followers) for _ in range(3)]
    assert 'All <span class="count">3</span>' in alice_client.get(LIST).content.decode()

    newest = order_row(alice_with_100, followers)
    html = alice_client.get(LIST).content.decode()

    assert 'All <span class="count">3</span>' in html  # cached
    assert row_ids(html)[0] == newest.pk  # the rows themselves are live
    narrowed = alice_client.get(LIST, {"service": followers.pk}).content.decode()
    assert 'All <span class="count">4</span>' in narrowed  # filtered counts are always live
    cache.delete(f"orders:tab-counts:{alice_with_100.pk}")
    assert len(orders) == 3
