"""Concurrent placements for one customer, with real threads on PostgreSQL."""

from decimal import Decimal

import pytest
from django.db import transaction

from accounts import ledger
from accounts.models import LedgerEntry, LedgerKind, User
from harness.catalog import make_provider, make_service, make_upstream
from orders.models import Order
from orders.placing import place_order
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 50
AFFORDABLE = 10
ROUNDS = 20


def test_fifty_threads_exactly_ten_affordable_orders_succeed_every_time():
    service = make_service(make_upstream(make_provider(), rate="3.3333", min=1, max=10_000))
    charge = Decimal("3.3333")  # 1000 units
    for round_ in range(ROUNDS):
        user = User.objects.create_user(f"racer{round_}")
        with transaction.atomic():
            ledger.credit(
                user_id=user.pk, amount=charge * AFFORDABLE, kind=LedgerKind.ADJUSTMENT, memo="race"
            )

        results = run_together(
            THREADS,
            lambda i, user=user: place_order(
                user=user,
                service_id=service.pk,
                fields={"link": f"https://x.test/{i}", "quantity": "1000"},
            ),
        )

        placed = [r for r in results if isinstance(r, Order)]
        refused = [r for r in results if isinstance(r, ledger.InsufficientFunds)]
        assert len(placed) == AFFORDABLE, [
            r for r in results if not isinstance(r, (Order, ledger.InsufficientFunds))
        ]
        assert len(refused) == THREADS - AFFORDABLE
        user.refresh_from_db()
        assert user.balance == 0
        assert Order.objects.filter(user=user).count() == AFFORDABLE
        assert LedgerEntry.objects.filter(user=user, kind=LedgerKind.CHARGE).count() == AFFORDABLE
