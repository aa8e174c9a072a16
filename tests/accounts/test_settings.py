"""The account settings: the customer's time zone (times on their pages shown in it) and which
mails they get."""

from datetime import UTC, datetime

import pytest

from accounts.models import User
from orders.models import Order

pytestmark = pytest.mark.django_db


def test_the_customer_saves_a_time_zone_and_mail_preferences(alice_client, alice):
    response = alice_client.post(
        "/account",
        {
            "form": "settings",
            "settings-time_zone": "Asia/Kolkata",
            "settings-notify_completed": "on",
            "settings-notify_refill": "on",
        },
    )

    assert response["Location"] == "/account"
    saved = User.objects.get(pk=alice.pk)
    assert saved.time_zone == "Asia/Kolkata"
    assert (saved.notify_completed, saved.notify_partial) == (True, False)
    assert (saved.notify_canceled, saved.notify_refill) == (False, True)
    assert saved.email == "alice@example.com"  # the other form's field is untouched
    html = alice_client.get("/account").content.decode()
    assert '<option value="Asia/Kolkata" selected>' in html
    assert "Your settings are saved." in html


def test_an_unknown_time_zone_is_refused(alice_client, alice):
    response = alice_client.post(
        "/account", {"form": "settings", "settings-time_zone": "Mars/Olympus"}
    )

    assert response.status_code == 200
    assert "time_zone" in response.context["settings_form"].errors
    assert User.objects.get(pk=alice.pk).time_zone == "UTC"


def test_times_on_the_customers_pages_are_shown_in_their_time_zone(alice_client, alice, service):
    order = Order.objects.create(
        user=alice, service=service, link="https://x.test/1", quantity=100, rate=1, charge=1
    )
    Order.objects.filter(pk=order.pk).update(created_at=datetime(2026, 3, 1, 22, 30, tzinfo=UTC))

    assert (
        "<span>2026-03-01</span> <span>22:30</span>" in alice_client.get("/orders").content.decode()
    )

    User.objects.filter(pk=alice.pk).update(time_zone="Asia/Kolkata")  # UTC+5:30
    html = alice_client.get("/orders").content.decode()
    assert "<span>2026-03-02</span> <span>04:00</span>" in html
    assert 'datetime="2026-03-02T04:00:00+05:30"' in html
