"""The mass order page: one `service_id|link|quantity` per line, bad lines reported by number,
nothing placed when the valid lines together exceed the balance."""

import re
from decimal import Decimal

import pytest

from harness.customers import assert_ledger_balanced, balance
from orders.models import Order

from .helpers import service_of

pytestmark = pytest.mark.django_db

MASS = "/order/mass"


def test_the_page_explains_the_format_with_an_example(alice_client, alice_with_10):
    html = alice_client.get(MASS).content.decode()
    assert "service_id|link|quantity" in html
    assert re.search(r'<pre class="example">\d+\|https://', html)
    assert '<textarea id="mass-orders" name="orders"' in html


def test_valid_lines_are_placed_and_a_bad_line_is_reported_by_number(
    alice_client, alice_with_10, followers
):
    text = "\n".join(
        [
            f"{followers.pk}|https://instagram.com/a|1000",
            f"{followers.pk}|javascript:alert(1)|1000",
            "",
            f"{followers.pk}|https://instagram.com/b|500",
        ]
    )
    response = alice_client.post(MASS, {"orders": text}, follow=True)

    html = response.content.decode()
    placed = list(Order.objects.order_by("id"))
    assert [(o.link, o.quantity) for o in placed] == [
        ("https://instagram.com/a", 1000),
        ("https://instagram.com/b", 500),
    ]
    assert balance(alice_with_10) == Decimal("10") - Decimal("1.85175")
    assert "Placed 2 orders: charged 1.85175 USD" in html
    for order in placed:
        assert f"#{order.pk}</a>" in html
    bad = re.search(r'<section class="card result bad".*?</section>', html, re.S).group(0)
    assert re.search(r'<td class="id">2</td>', bad)
    assert "javascript:alert(1)" in bad and "must start with http" in bad
    # Only the line that was not placed goes back into the box, so resending can't repeat.
    box = re.search(r'name="orders"[^>]*>\n(.*?)</textarea>', html, re.S).group(1)
    assert box == f"{followers.pk}|javascript:alert(1)|1000"
    assert_ledger_balanced()


def test_a_reload_after_placing_does_not_place_again(alice_client, alice_with_10, followers):
    response = alice_client.post(MASS, {"orders": f"{followers.pk}|https://instagram.com/a|100"})
    assert response.status_code == 302
    alice_client.get(MASS)
    assert "Placed" not in alice_client.get(MASS).content.decode()  # shown once
    assert Order.objects.count() == 1


def test_lines_beyond_the_balance_place_nothing_and_tell_the_shortfall(
    alice_client, alice_with_10, followers
):
    text = (
        f"{followers.pk}|https://instagram.com/a|5000\n{followers.pk}|https://instagram.com/b|5000"
    )
    response = alice_client.post(MASS, {"orders": text})

    html = response.content.decode()
    assert response.status_code == 200
    assert "this costs 12.345 USD, you have 10 USD; add 2.345 USD" in html
    assert "Nothing was placed" in html and 'href="/funds"' in html
    assert Order.objects.count() == 0 and balance(alice_with_10) == Decimal("10")
    assert text in html  # the text stays in the box
    assert_ledger_balanced()


def test_only_bad_lines_place_nothing_and_keep_the_text(alice_client, alice_with_10, followers):
    text = f"abc|https://instagram.com/a|100\n{followers.pk}|https://instagram.com/a|١٠٠\n|||"
    html = alice_client.post(MASS, {"orders": text}).content.decode()
    assert "3 lines not placed" in html
    assert Order.objects.count() == 0
    assert ">\n" + text + "</textarea>" in html


@pytest.mark.parametrize("text", ["", "   \n\n  ", "\x00", "x" * 100])
def test_empty_or_garbage_input_is_an_error_not_a_failure(alice_client, alice_with_10, text):
    response = alice_client.post(MASS, {"orders": text})
    assert response.status_code == 200
    assert Order.objects.count() == 0 and balance(alice_with_10) == Decimal("10")


def test_more_than_1000_lines_is_refused(alice_client, alice_with_10, followers):
    text = "\n".join(f"{followers.pk}|https://instagram.com/{i}|10" for i in range(1001))
    html = alice_client.post(MASS, {"orders": text}).content.decode()
    assert "At most 1000 lines" in html
    assert Order.objects.count() == 0


def test_a_type_that_needs_more_fields_is_sent_to_the_order_page(alice_client, alice_with_10):
    comments = service_of("Custom Comments")
    html = alice_client.post(
        MASS, {"orders": f"{comments.pk}|https://instagram.com/a|10"}
    ).content.decode()
    assert "use the order page" in html
    assert Order.objects.count() == 0
