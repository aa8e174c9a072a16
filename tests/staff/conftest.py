"""Fixtures of the staff dashboard's tests: orders set straight into the status a test needs
(no money moves: the ledger stays balanced), and staff with only the dashboard's permission."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from harness.customers import make_user
from orders.models import Order


@pytest.fixture
def make_order(alice, service, provider):
    def make(status, **fields) -> Order:
        defaults = {
            "user": alice,
            "service": service,
            "provider": provider,
            "link": "https://instagram.com/p/x",
            "quantity": 1000,
            "rate": Decimal("1.0000"),
            "charge": Decimal("1.0000000"),
            "status": status,
        }
        return Order.objects.create(**{**defaults, **fields})

    return make


@pytest.fixture
def viewer(db):
    """Staff who may read everything and change nothing: view permissions and the dashboard."""
    user = make_user("vera", password=None, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client
