"""The dashboard as staff see it: who may read it, the admin's home and name, the provider and
service lists; view-only staff read everything and change nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import LedgerEntry
from catalog.models import Provider, Service
from catalog.upstream.calllog import Call
from harness.customers import make_user
from orders.models import OrderStatus as S
from staff.balances import record
from staff.health import write_calls
from staff.models import ProviderWatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(provider):
    """30 days of a balance going down 5 a day, below its threshold of 20 at the end."""
    ProviderWatch.objects.create(provider=provider, low_balance=Decimal(20))
    now = timezone.now()
    for day in range(30, -1, -1):
        amount = Decimal(15 + 5 * day)
        record(
            provider=provider, amount=amount, currency="USD", checked_at=now - timedelta(days=day)
        )
    Provider.objects.filter(pk=provider.pk).update(
        balance=Decimal(15), balance_currency="USD", balance_checked_at=now
    )
    write_calls([Call(provider.pk, "add", now, 420, "ok", "")])  # as the call buffer writes
    return provider


def test_the_dashboard_is_the_admin_home(sam_client, history, make_order):
    make_order(S.HELD)
    page = sam_client.get("/admin/").content.decode()

    assert 'id="staff-dashboard"' in page
    assert 'id="balance-alerts"' in page  # 15 is below 20
    assert "<svg" in page and "<polyline" in page and "staff-chart-threshold" in page
    assert "1 order on hold" in page
    assert "about 3.0 days" in page  # 15 left at 5 a day
    assert "420 ms" in page  # the last hour: exact
    assert "≤ 500 ms" in page and "approximate" in page  # the day: from the hourly buckets
    assert "style=" not in page.split('id="staff-dashboard"')[1].split("</div>\n</div>")[0]


def test_the_admin_carries_the_panels_name(sam_client, settings):
    page = sam_client.get("/admin/").content.decode()
    assert "Django administration" not in page
    assert "admin</a></div>" in page
    assert "<title>" in page and "Django site admin" not in page


def test_view_only_staff_read_the_dashboard_but_change_nothing(
    viewer_client, history, service, make_order
):
    order = make_order(S.HELD)
    for url in ["/admin/", "/admin/staff/", "/admin/staff/needs/", "/admin/catalog/provider/"]:
        response = viewer_client.get(url)
        assert response.status_code == 200, url
    assert 'id="staff-dashboard"' in viewer_client.get("/admin/").content.decode()

    # No markup change: the list's inputs are not offered, and a post changes nothing.
    changelist = viewer_client.get("/admin/catalog/service/").content.decode()
    assert 'name="form-0-markup_percent"' not in changelist
    viewer_client.post(f"/admin/catalog/service/{service.pk}/change/", {"markup_percent": "90"})
    assert Service.objects.get(pk=service.pk).markup_percent is None
    # No threshold change, no staff action on an order.
    watch = f"/admin/staff/providerwatch/{history.pk}/change/"
    assert viewer_client.post(watch, {"low_balance": "1"}).status_code == 403
    assert ProviderWatch.objects.get(pk=history.pk).low_balance == Decimal(20)
    resend = f"/admin/orders/order/{order.pk}/staff/resend/"
    assert viewer_client.post(resend, {"reason": "x"}).status_code == 403
    # No balance change.
    adjust = f"/admin/accounts/user/{order.user_id}/adjust-balance/"
    assert viewer_client.post(adjust, {"amount": "5", "reason": "x"}).status_code == 403
    assert not LedgerEntry.objects.filter(user_id=order.user_id).exists()


def test_staff_without_the_permission_and_customers_are_turned_away(client, alice):
    plain = make_user("stan", password=None, is_staff=True)
    client.force_login(plain)
    assert client.get("/admin/staff/").status_code == 403
    assert client.get("/admin/staff/needs/").status_code == 403
    assert 'id="staff-dashboard"' not in client.get("/admin/").content.decode()
    client.force_login(alice)
    response = client.get("/admin/staff/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_provider_list_shows_balance_health_and_last_sync(sam_client, history):
    page = sam_client.get("/admin/catalog/provider/").content.decode()
    assert "15.00 USD" in page
    assert "1 · 0.0% · 420 ms · 0" in page
    assert "column-last_synced_at" in page


def test_orders_and_services_filter_by_category_and_provider(sam_client, make_order, provider):
    from catalog.models import Category
    from harness.catalog import make_provider, make_service, make_upstream

    tiktok = Category.objects.create(name="TikTok")
    other = make_provider(name="Other")
    views = make_service(make_upstream(other, name="TikTok Views"), category=tiktok)
    followers = make_order(S.COMPLETED)
    watched = make_order(S.COMPLETED, service=views, provider=other)

    orders = sam_client.get(f"/admin/orders/order/?category={tiktok.pk}")
    assert [o.pk for o in orders.context["cl"].result_list] == [watched.pk]
    assert followers.pk not in [o.pk for o in orders.context["cl"].result_list]
    services = sam_client.get(f"/admin/catalog/service/?provider={other.pk}")
    assert [s.pk for s in services.context["cl"].result_list] == [views.pk]
