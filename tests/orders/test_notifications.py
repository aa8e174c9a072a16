"""The customer's mails about orders: one per event, queued with the status change, none when
the customer switched that mail off in their settings."""

from decimal import Decimal

import pytest
from django.db import transaction

from orders.models import OrderStatus, Refill, RequestStatus
from orders.refills import _record_refill_statuses
from orders.settlement import settle
from outbox.models import OutboxMail

from .helpers import placed_order

pytestmark = pytest.mark.django_db

S = OrderStatus


def mails() -> list[tuple[str, list[str], str]]:
    return list(OutboxMail.objects.order_by("id").values_list("key", "to", "subject"))


@pytest.mark.parametrize(
    ("status", "refund", "subject"),
    [
        (S.COMPLETED, Decimal(0), "completed"),
        (S.PARTIAL, Decimal("0.5"), "partially completed: 0.50 USD refunded"),
        (S.CANCELED, Decimal("1.2345"), "canceled: 1.2345 USD refunded"),
    ],
)
def test_a_settled_order_queues_exactly_one_mail(
    alice_with_100, followers, status, refund, subject
):
    order = placed_order(alice_with_100, followers, S.IN_PROGRESS)

    assert settle(order, status=status, refund=refund)
    assert not settle(order, status=status, refund=refund)  # a replay settles nothing more

    assert mails() == [
        (f"order-settled:{order.pk}", ["alice@example.com"], f"Order #{order.pk} {subject}")
    ]
    body = OutboxMail.objects.get().body
    assert followers.name in body and "1,000" in body
    if refund:
        assert f"you paid {order.charge - refund:.2f}"[:12] in body


def test_the_mail_is_queued_in_the_transaction_of_the_status_change(alice_with_100, followers):
    order = placed_order(alice_with_100, followers, S.IN_PROGRESS)
    with pytest.raises(RuntimeError), transaction.atomic():
        settle(order, status=S.COMPLETED, refund=Decimal(0))
        raise RuntimeError("the settlement is rolled back")
    assert mails() == []


@pytest.mark.parametrize(
    ("status", "preference"),
    [(S.COMPLETED, "notify_completed"), (S.PARTIAL, "notify_partial"),
     (S.CANCELED, "notify_canceled"), (S.FAILED, "notify_canceled")],
)  # fmt: skip
def test_no_mail_when_the_customer_switched_it_off(alice_with_100, followers, status, preference):
    setattr(alice_with_100, preference, False)
    alice_with_100.save(update_fields=[preference])
    source = S.PENDING if status == S.FAILED else S.IN_PROGRESS
    order = placed_order(alice_with_100, followers, source)

    assert settle(order, status=status, refund=Decimal(0), expected=[source])

    assert mails() == []


def test_the_other_mails_stay_on_when_one_is_off(alice_with_100, followers):
    alice_with_100.notify_completed = False
    alice_with_100.save(update_fields=["notify_completed"])
    done, partial = (placed_order(alice_with_100, followers, S.IN_PROGRESS) for _ in range(2))

    settle(done, status=S.COMPLETED, refund=Decimal(0))
    settle(partial, status=S.PARTIAL, refund=Decimal("0.1"))

    assert [key for key, *_ in mails()] == [f"order-settled:{partial.pk}"]


def _accepted_refill(user, service) -> Refill:
    order = placed_order(user, service, S.COMPLETED, upstream_id="u-1")
    return Refill.objects.create(
        order=order, user=user, status=RequestStatus.ACCEPTED, upstream_refill_id="r-1"
    )


def test_a_done_refill_queues_exactly_one_mail(alice_with_100, followers):
    refill = _accepted_refill(alice_with_100, followers)

    _record_refill_statuses({"r-1": refill.pk}, {"r-1": "Completed"})
    _record_refill_statuses({"r-1": refill.pk}, {"r-1": "Completed"})  # polled again

    assert mails() == [
        (
            f"refill-done:{refill.pk}",
            ["alice@example.com"],
            f"Refill of order #{refill.order_id} done",
        )
    ]


def test_a_rejected_refill_or_a_refill_mail_switched_off_queues_none(
    alice_with_100, bob_with_100, followers
):
    rejected = _accepted_refill(alice_with_100, followers)
    _record_refill_statuses({"r-1": rejected.pk}, {"r-1": "Rejected"})
    bob_with_100.notify_refill = False
    bob_with_100.save(update_fields=["notify_refill"])
    quiet = _accepted_refill(bob_with_100, followers)
    Refill.objects.filter(pk=quiet.pk).update(upstream_refill_id="r-2")
    _record_refill_statuses({"r-2": quiet.pk}, {"r-2": "Completed"})

    assert Refill.objects.get(pk=quiet.pk).status == RequestStatus.COMPLETED
    assert mails() == []
