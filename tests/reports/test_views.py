"""The reports page: who may read it, and every CSV equals the table the page shows."""

import csv
import io
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission

from harness.customers import make_user
from reports import summary

URL = "/admin/reports/"


class Tables(HTMLParser):
    """Each <table id=…> of a page as rows of cell texts (header row included)."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._row = self._cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_and_csv(client, table: str, query: str = ""):
    page = client.get(URL + "?" + query)
    assert page.status_code == 200
    got = client.get(URL + "?" + query + f"&csv={table}")
    assert got.status_code == 200 and got["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.content.decode())))
    return Tables(page.content.decode()).tables[table], rows


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_sales_csv_equals_the_page(shop, sam_client, period):
    summary.refresh()
    shown, rows = page_and_csv(sam_client, "sales", f"period={period}")
    header, *body = rows
    assert len(body) == len(shown) - 1  # the page's header row
    for cells, row in zip(shown[1:], body, strict=True):
        start, orders, _charged, refunded, revenue, cost, profit, margin, uncosted, is_open = row
        expected = [start if start != "total" else "Total", orders, revenue, refunded, cost,
                    profit, f"{margin}%" if margin else "–", uncosted, is_open]  # fmt: skip
        assert cells == expected
    first = date.fromisoformat(body[0][0])  # the range's first bucket
    assert body[-1][0] == "total"
    assert int(body[-1][1]) == sum(1 for o in shop.orders if o.created_at.date() >= first)
    assert int(body[-1][1]) == (7 if period == "day" else 8)  # 40 days back: not in 30 days


def test_customers_signups_and_deposits_csv_equal_the_page(shop, sam_client):
    summary.refresh()
    shown, rows = page_and_csv(sam_client, "customers", "period=month")
    assert [[r[1], r[2], r[3]] for r in rows[1:]] == shown[1:]
    assert {r[1] for r in rows[1:]} == {"carol", "dan"}
    shown, rows = page_and_csv(sam_client, "signups", "period=month")
    assert rows[1:] == [[c[0], c[1]] for c in shown[1:]]
    assert sum(int(r[1]) for r in rows[1:]) == 3
    shown, rows = page_and_csv(sam_client, "deposits", "period=month")
    assert [[r[1], r[2], r[3]] for r in rows[1:]] == shown[1:]
    assert {r[0] for r in rows[1:]} == set(shop.deposits)


def test_filters_and_range_apply_to_page_and_csv(shop, sam_client):
    summary.refresh()
    first = shop.today - timedelta(days=5)
    query = f"period=day&start={first}&end={shop.today}&service={shop.services['views'].pk}"
    shown, rows = page_and_csv(sam_client, "sales", query)
    assert len(rows) == 1 + 6 + 1  # header, six days, total
    assert rows[-1][1] == "2"  # the views orders of today and 3 days ago
    assert shown[-1][1] == "2"


def test_staff_read_reports_only_with_the_permission(shop, client, viewer):
    summary.refresh()
    support = make_user("stan", is_staff=True)
    support.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(support)
    assert client.get(URL).status_code == 403
    assert client.get(URL + "?csv=sales").status_code == 403
    assert f'href="{URL}"'.encode() not in client.get("/admin/").content  # no link either
    client.force_login(viewer)
    page = client.get(URL)
    assert page.status_code == 200 and b'<svg class="chart"' in page.content
    assert f'href="{URL}">Reports</a>'.encode() in client.get("/admin/").content
    assert client.get(URL + "?csv=customers").status_code == 200


def test_customers_and_visitors_are_sent_to_the_admin_login(shop, client):
    assert client.get(URL).status_code == 302
    client.force_login(shop.customers["carol"])
    answer = client.get(URL + "?csv=sales")
    assert answer.status_code == 302 and "/admin/login/" in answer["Location"]


def test_the_page_has_no_inline_style_or_script(shop, sam_client):
    summary.refresh()
    html = sam_client.get(URL + "?period=week").content.decode()
    assert "style=" not in html and "<style" not in html
    assert "<script>" not in html.replace(" ", "")  # admin's own scripts are files (src=…)
