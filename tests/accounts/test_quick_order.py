"""The dashboard's quick order: categories with services on sale, a category's services as
JSON for the picker, and a post that lands on the normal review step (nothing placed yet)."""

import pytest

from catalog.models import Category, Service
from harness.catalog import make_service, make_upstream
from harness.customers import fund
from orders.models import Order

pytestmark = pytest.mark.django_db


def test_the_dashboard_offers_the_categories_on_sale(alice_client, provider, service):
    empty = Category.objects.create(name="Empty")
    html = alice_client.get("/").content.decode()
    assert f'<option value="{service.category_id}">Instagram</option>' in html
    assert f'<option value="{empty.pk}">' not in html
    assert 'action="/order/new"' in html and 'href="/updates"' in html


def test_a_categorys_services_for_the_picker(alice_client, provider, service):
    hidden = make_service(make_upstream(provider, name="Off"), enabled=False)
    Service.objects.filter(pk=service.pk).update(average_seconds=1800)

    data = alice_client.get(f"/order/category/{service.category_id}").json()

    assert data == {
        "services": [
            [service.pk, "Instagram Followers HQ", "1.00 USD per 1000", 10, 10_000, "30 minutes"]
        ]
    }
    assert hidden.pk not in [row[0] for row in data["services"]]
    assert alice_client.get("/order/category/999999").json() == {"services": []}


def test_the_quick_order_posts_to_the_review_step(alice_client, alice, service):
    fund(alice, "10")
    response = alice_client.post(
        "/order/new",
        {"category": service.category_id, "service": service.pk,
         "link": "https://instagram.com/x", "quantity": "1000", "action": "review"},
    )  # fmt: skip

    assert response.status_code == 200
    assert "orders/confirm.html" in [t.name for t in response.templates]
    assert not Order.objects.exists()
