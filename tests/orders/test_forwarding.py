"""Forwarding against the sandbox over real HTTP, calling the one function directly."""

from decimal import Decimal

import pytest
from django.test import override_settings

from accounts.models import LedgerEntry, LedgerKind
from catalog.models import ServiceOffer, UpstreamService
from orders.forwarding import forward, release_held, sweep, upstream_fields
from orders.models import Order, OrderStatus
from orders.placing import place_order

from .helpers import default_service

pytestmark = pytest.mark.django_db(transaction=True)

FAST = {"UPSTREAM_CONNECT_TIMEOUT": 1, "UPSTREAM_READ_TIMEOUT": 1, "UPSTREAM_DEADLINE": 2}


def place(user, service, **fields) -> Order:
    fields = {
        "link": f"https://x.test/{user.pk}/{Order.objects.count()}",
        "quantity": "1000",
        **fields,
    }
    return place_order(user=user, service_id=service.pk, fields=fields)


def test_an_accepted_order_is_in_progress_with_its_upstream_id(
    sandbox_provider, carol_with_1000, sandbox
):
    order = place(carol_with_1000, default_service())
    assert forward(order.pk) == OrderStatus.IN_PROGRESS
    order.refresh_from_db()
    accepted = sandbox.orders()
    assert len(accepted) == 1
    assert order.upstream_order_id == str(accepted[0]["id"])
    assert accepted[0]["fields"]["link"] == order.link
    assert accepted[0]["fields"]["quantity"] == "1000"
    assert order.provider_id == sandbox_provider.pk
    assert forward(order.pk) == "not pending"  # a second delivery of the task sends nothing
    assert len(sandbox.orders()) == 1


def test_drip_feed_fields_are_sent(sandbox_provider, carol_with_1000, sandbox):
    service = default_service(dripfeed=True)
    order = place(carol_with_1000, service, runs="3", interval="10")
    forward(order.pk)
    sent = sandbox.orders()[0]["fields"]
    assert (sent["runs"], sent["interval"]) == ("3", "10")


def test_definitive_error_fails_the_order_with_a_full_refund(
    sandbox_provider, carol_with_1000, sandbox
):
    order = place(carol_with_1000, default_service())
    sandbox.set_faults(error_rate=1, actions=["add"], error_message="Link is private")
    assert forward(order.pk) == OrderStatus.FAILED
    order.refresh_from_db()
    assert order.error == "The provider refused this order: Link is private"
    refund = LedgerEntry.objects.get(order=order, kind=LedgerKind.REFUND)
    assert refund.amount == order.charge
    carol_with_1000.refresh_from_db()
    assert carol_with_1000.balance == Decimal(1000)


def test_not_enough_funds_upstream_holds_the_order_without_refund(
    sandbox_provider, carol_with_1000, sandbox
):
    order = place(carol_with_1000, default_service())
    sandbox.set_faults(funds=True, actions=["add"])
    assert forward(order.pk) == OrderStatus.HELD
    assert not LedgerEntry.objects.filter(order=order, kind=LedgerKind.REFUND).exists()
    sandbox.clear_faults()
    sandbox.set_balance("1000")
    assert release_held() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert forward(order.pk) == OrderStatus.IN_PROGRESS


@override_settings(**FAST)
def test_unknown_outcome_is_never_resent(sandbox_provider, carol_with_1000, sandbox):
    order = place(carol_with_1000, default_service())
    sandbox.set_faults(reset_after_rate=1, actions=["add"])
    assert forward(order.pk) == OrderStatus.UNKNOWN
    order.refresh_from_db()
    assert order.flag
    assert len(sandbox.orders()) == 1  # it did reach the provider
    sandbox.clear_faults()
    assert forward(order.pk) == "not pending"
    sweep()
    assert len(sandbox.orders()) == 1
    assert not LedgerEntry.objects.filter(order=order, kind=LedgerKind.REFUND).exists()


@override_settings(**FAST)
def test_connection_refused_goes_back_to_pending_and_sends_once_when_back(
    sandbox_provider, carol_with_1000, sandbox
):
    order = place(carol_with_1000, default_service())
    with sandbox.down():
        assert forward(order.pk) == "retry later"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert order.next_attempt_at is not None
    Order.objects.filter(pk=order.pk).update(next_attempt_at=None)
    assert forward(order.pk) == OrderStatus.IN_PROGRESS
    assert len(sandbox.orders()) == 1


def test_a_definitive_error_moves_to_the_next_offer(sandbox_provider, carol_with_1000, sandbox):
    service = default_service()
    fallback = UpstreamService.objects.filter(type="Default").exclude(
        pk=service.service_offers.get().upstream_service_id
    )[0]
    ServiceOffer.objects.create(service=service, upstream_service=fallback, priority=1)
    order = place(carol_with_1000, service)
    sandbox.set_faults(error_rate=1, actions=["add"])
    assert forward(order.pk) == "next offer"
    sandbox.clear_faults()
    assert forward(order.pk) == OrderStatus.IN_PROGRESS
    sent = sandbox.orders()
    assert len(sent) == 1 and str(sent[0]["service"]) == fallback.upstream_id


def test_sweeper_turns_a_stale_send_unknown_and_requeues_lost_pending(
    sandbox_provider, carol_with_1000
):
    from datetime import timedelta

    from django.utils import timezone

    stuck = place(carol_with_1000, default_service())
    lost = place(carol_with_1000, default_service())
    long_ago = timezone.now() - timedelta(minutes=10)
    Order.objects.filter(pk=stuck.pk).update(status=OrderStatus.SENDING, sent_at=long_ago)
    Order.objects.filter(pk=lost.pk).update(updated_at=long_ago)
    result = sweep()
    assert result == {"to_unknown": 1, "enqueued": 1}
    stuck.refresh_from_db()
    assert stuck.status == OrderStatus.UNKNOWN


def test_upstream_fields_follow_the_type():
    from types import SimpleNamespace

    def fields(type_, **order):
        base = {
            "link": "https://x.test",
            "quantity": 1,
            "runs": None,
            "interval": None,
            "extra": {},
        }
        return upstream_fields(
            SimpleNamespace(service=SimpleNamespace(type=type_), **{**base, **order})
        )

    assert fields("Package") == {"link": "https://x.test"}
    assert fields("Custom Comments", extra={"comments": "a\nb"}) == {
        "link": "https://x.test",
        "comments": "a\nb",
    }
    subs = {"username": "nasa", "min": "1", "max": "2", "posts": "3"}
    assert fields("Subscriptions", extra=subs) == subs
