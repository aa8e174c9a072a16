"""orders.staff: each hand-made transition, its refusals, its money (once) and its audit row."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import LedgerEntry, LedgerKind
from harness.catalog import make_provider
from harness.customers import balance, make_user
from orders import staff
from orders.models import Order, OrderAction, OrderStatus
from orders.staff import StaffActionError

from .helpers import audit, failed_with_refund, placed_order, refunds

S = OrderStatus
REASON = "checked with the provider's support"


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    sent: list[int] = []
    monkeypatch.setattr(staff, "enqueue_forwarding", sent.append)
    return sent


def every_function(order, sam, reason):
    """Each staff function with valid inputs other than `reason`."""
    return [
        lambda: staff.attach_upstream_id(order=order, upstream_id="77", by=sam, reason=reason),
        lambda: staff.confirm_not_created_and_resend(order=order, by=sam, reason=reason),
        lambda: staff.resend(order=order, by=sam, reason=reason),
        lambda: staff.cancel_with_refund(order=order, by=sam, reason=reason),
        lambda: staff.set_partial(order=order, remains=10, by=sam, reason=reason),
        lambda: staff.edit_link(order=order, link="https://x.test/new", by=sam, reason=reason),
    ]


# --- attach the upstream id ---------------------------------------------------------------------


def test_attach_upstream_id_moves_unknown_to_in_progress_once(
    alice_with_100, sam, service, provider
):
    order = placed_order(alice_with_100, service, S.UNKNOWN, provider=provider)

    assert staff.attach_upstream_id(order=order, upstream_id=" 9001 ", by=sam, reason=REASON)
    assert not staff.attach_upstream_id(order=order, upstream_id="9001", by=sam, reason="again")

    order.refresh_from_db()
    assert (order.status, order.upstream_order_id) == (S.IN_PROGRESS, "9001")
    assert audit(order) == [("sam", "attach_upstream_id", REASON)]
    action = OrderAction.objects.get(order=order)
    assert action.details == {"from": "unknown", "to": "in_progress", "upstream_id": "9001"}
    assert refunds(order) == []


@pytest.mark.parametrize(
    "status", [S.PENDING, S.SENDING, S.HELD, S.IN_PROGRESS, S.COMPLETED, S.FAILED]
)
def test_attach_upstream_id_changes_nothing_outside_unknown(
    alice_with_100, sam, service, provider, status
):
    order = placed_order(alice_with_100, service, status, provider=provider)

    assert not staff.attach_upstream_id(order=order, upstream_id="1", by=sam, reason=REASON)

    order.refresh_from_db()
    assert (order.status, order.upstream_order_id) == (status, None)
    assert audit(order) == []


def test_attach_upstream_id_refuses_an_id_another_order_of_the_provider_has(
    alice_with_100, sam, service, provider
):
    taken = placed_order(
        alice_with_100, service, S.IN_PROGRESS, provider=provider, upstream_id="555"
    )
    order = placed_order(alice_with_100, service, S.UNKNOWN, provider=provider)

    with pytest.raises(StaffActionError, match=f"already attached to order #{taken.pk}"):
        staff.attach_upstream_id(order=order, upstream_id="555", by=sam, reason=REASON)

    order.refresh_from_db()
    assert (order.status, order.upstream_order_id) == (S.UNKNOWN, None)
    assert audit(order) == []
    # The same id at another provider is another order.
    elsewhere = placed_order(alice_with_100, service, S.UNKNOWN, provider=make_provider())
    assert staff.attach_upstream_id(order=elsewhere, upstream_id="555", by=sam, reason=REASON)


def test_attach_upstream_id_refuses_a_duplicate_that_won_the_race_after_the_check(
    alice_with_100, sam, service, provider, monkeypatch
):
    taken = placed_order(
        alice_with_100, service, S.IN_PROGRESS, provider=provider, upstream_id="556"
    )
    order = placed_order(alice_with_100, service, S.UNKNOWN, provider=provider)
    monkeypatch.setattr(staff, "_upstream_id", lambda order, upstream_id: upstream_id)

    with pytest.raises(StaffActionError, match=f"already attached to order #{taken.pk}"):
        staff.attach_upstream_id(order=order, upstream_id="556", by=sam, reason=REASON)

    order.refresh_from_db()
    assert (order.status, order.upstream_order_id) == (S.UNKNOWN, None)
    assert audit(order) == []


@pytest.mark.parametrize(
    ("upstream_id", "message"),
    [("", "Enter"), ("   ", "Enter"), ("1" * 65, "longer than 64"), ("12 34", "spaces")],
)
def test_attach_upstream_id_validates_the_id(
    alice_with_100, sam, service, provider, upstream_id, message
):
    order = placed_order(alice_with_100, service, S.UNKNOWN, provider=provider)

    with pytest.raises(StaffActionError, match=message):
        staff.attach_upstream_id(order=order, upstream_id=upstream_id, by=sam, reason=REASON)

    assert Order.objects.get(pk=order.pk).status == S.UNKNOWN
    assert audit(order) == []


def test_attach_upstream_id_needs_an_order_that_went_to_a_provider(alice_with_100, sam, service):
    order = placed_order(alice_with_100, service, S.UNKNOWN, provider=None)

    with pytest.raises(StaffActionError, match="never sent to a provider"):
        staff.attach_upstream_id(order=order, upstream_id="1", by=sam, reason=REASON)


# --- confirm not created, send again ------------------------------------------------------------


def test_confirm_not_created_puts_unknown_back_to_pending_and_enqueues_after_commit(
    alice_with_100, sam, service, provider, enqueued, django_capture_on_commit_callbacks
):
    later = timezone.now() + timedelta(hours=1)
    order = placed_order(
        alice_with_100, service, S.UNKNOWN, provider=provider, next_attempt_at=later, attempts=3
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert staff.confirm_not_created_and_resend(order=order, by=sam, reason=REASON)
        assert enqueued == []  # not before the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        assert not staff.confirm_not_created_and_resend(order=order, by=sam, reason=REASON)

    assert enqueued == [order.pk]
    order.refresh_from_db()
    assert (order.status, order.next_attempt_at, order.attempts) == (S.PENDING, None, 0)
    assert audit(order) == [("sam", "confirm_not_created_and_resend", REASON)]
    assert refunds(order) == []


@pytest.mark.parametrize("status", [S.PENDING, S.SENDING, S.HELD, S.IN_PROGRESS, S.FAILED])
def test_confirm_not_created_changes_nothing_outside_unknown(
    alice_with_100, sam, service, provider, enqueued, status, django_capture_on_commit_callbacks
):
    order = placed_order(alice_with_100, service, status, provider=provider)

    with django_capture_on_commit_callbacks(execute=True):
        assert not staff.confirm_not_created_and_resend(order=order, by=sam, reason=REASON)

    assert Order.objects.get(pk=order.pk).status == status
    assert enqueued == []
    assert audit(order) == []


# --- resend -------------------------------------------------------------------------------------


def test_resend_puts_a_held_order_back_to_pending_and_enqueues_after_commit(
    alice_with_100, sam, service, provider, enqueued, django_capture_on_commit_callbacks
):
    order = placed_order(alice_with_100, service, S.HELD, provider=provider, tried_offers=[123])
    paid = balance(alice_with_100)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert staff.resend(order=order, by=sam, reason=REASON)
        assert enqueued == []
    with django_capture_on_commit_callbacks(execute=True):
        assert not staff.resend(order=order, by=sam, reason=REASON)

    assert len(callbacks) == 1
    assert enqueued == [order.pk]
    order.refresh_from_db()
    assert (order.status, order.tried_offers) == (S.PENDING, [])
    assert balance(alice_with_100) == paid  # still paid by its one charge
    assert audit(order) == [("sam", "resend", REASON)]


def test_resend_sends_a_failed_order_that_was_not_refunded(
    alice_with_100, sam, service, provider, enqueued, django_capture_on_commit_callbacks
):
    order = placed_order(
        alice_with_100, service, S.FAILED, provider=provider, error="provider refused"
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert staff.resend(order=order, by=sam, reason=REASON)

    order.refresh_from_db()
    assert (order.status, order.error) == (S.PENDING, "")
    assert enqueued == [order.pk]


def test_resend_refuses_a_refunded_failed_order(
    alice_with_100, sam, service, provider, enqueued, django_capture_on_commit_callbacks
):
    order = failed_with_refund(alice_with_100, service, provider)
    refunded = balance(alice_with_100)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(StaffActionError, match="Ask the customer to place a new order"),
    ):
        staff.resend(order=order, by=sam, reason=REASON)

    order.refresh_from_db()
    assert order.status == S.FAILED
    assert balance(alice_with_100) == refunded
    assert LedgerEntry.objects.filter(order=order, kind=LedgerKind.CHARGE).count() == 1
    assert enqueued == []
    assert audit(order) == []


@pytest.mark.parametrize(
    "status", [S.PENDING, S.SENDING, S.UNKNOWN, S.IN_PROGRESS, S.COMPLETED, S.CANCELED]
)
def test_resend_changes_nothing_from_other_statuses(
    alice_with_100, sam, service, provider, enqueued, status, django_capture_on_commit_callbacks
):
    order = placed_order(alice_with_100, service, status, provider=provider)

    with django_capture_on_commit_callbacks(execute=True):
        assert not staff.resend(order=order, by=sam, reason=REASON)

    assert Order.objects.get(pk=order.pk).status == status
    assert enqueued == []
    assert audit(order) == []


# --- cancel with refund -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.PENDING, S.HELD, S.UNKNOWN, S.IN_PROGRESS])
def test_cancel_refunds_the_whole_charge_once(alice_with_100, sam, service, provider, status):
    before = balance(alice_with_100)
    order = placed_order(alice_with_100, service, status, provider=provider)
    assert balance(alice_with_100) == before - order.charge

    assert staff.cancel_with_refund(order=order, by=sam, reason=REASON)
    assert not staff.cancel_with_refund(order=order, by=sam, reason="double click")

    order.refresh_from_db()
    assert (order.status, order.refunded) == (S.CANCELED, order.charge)
    assert refunds(order) == [order.charge]
    assert LedgerEntry.objects.get(order=order, kind=LedgerKind.REFUND).created_by == sam
    assert balance(alice_with_100) == before
    assert audit(order) == [("sam", "cancel_with_refund", REASON)]
    details = OrderAction.objects.get(order=order).details
    assert details == {"from": status, "to": "canceled", "refund": str(order.charge)}


@pytest.mark.parametrize("status", [S.SENDING, S.COMPLETED, S.PARTIAL, S.CANCELED, S.FAILED])
def test_cancel_changes_nothing_from_other_statuses(alice_with_100, sam, service, provider, status):
    order = placed_order(alice_with_100, service, status, provider=provider)
    paid = balance(alice_with_100)

    assert not staff.cancel_with_refund(order=order, by=sam, reason=REASON)

    assert Order.objects.get(pk=order.pk).status == status
    assert (refunds(order), balance(alice_with_100), audit(order)) == ([], paid, [])


@pytest.mark.django_db(transaction=True)
def test_two_staff_cancelling_at_once_refund_once(alice_with_100, sam, service, provider):
    order = placed_order(alice_with_100, service, S.IN_PROGRESS, provider=provider)
    tess = make_user("tess", is_staff=True, is_superuser=True)
    results, barrier = [], threading.Barrier(2)

    def cancel(by):
        try:
            barrier.wait()
            results.append(staff.cancel_with_refund(order=order, by=by, reason=REASON))
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel, args=(who,)) for who in (sam, tess)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    assert refunds(order) == [order.charge]
    assert OrderAction.objects.filter(order=order).count() == 1


# --- set partial --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.IN_PROGRESS, S.UNKNOWN])
def test_set_partial_refunds_the_undelivered_part_once(
    alice_with_100, sam, service, provider, status
):
    before = balance(alice_with_100)
    order = placed_order(alice_with_100, service, status, provider=provider)
    part = (order.charge * 250 / 1000).quantize(Decimal("0.0000001"))
    assert part > 0

    assert staff.set_partial(order=order, remains=250, by=sam, reason=REASON)
    assert not staff.set_partial(order=order, remains=250, by=sam, reason=REASON)
    assert not staff.set_partial(order=order, remains=900, by=sam, reason="other number")

    order.refresh_from_db()
    assert (order.status, order.remains, order.refunded) == (S.PARTIAL, 250, part)
    assert refunds(order) == [part]
    assert balance(alice_with_100) == before - order.charge + part
    assert audit(order) == [("sam", "set_partial", REASON)]
    details = OrderAction.objects.get(order=order).details
    assert details == {"from": status, "to": "partial", "remains": 250, "refund": str(part)}


def test_set_partial_with_nothing_undelivered_refunds_nothing(
    alice_with_100, sam, service, provider
):
    order = placed_order(alice_with_100, service, S.IN_PROGRESS, provider=provider)

    assert staff.set_partial(order=order, remains=0, by=sam, reason=REASON)

    order.refresh_from_db()
    assert (order.status, order.refunded, refunds(order)) == (S.PARTIAL, 0, [])


@pytest.mark.parametrize("remains", [-1, 1001, True, "5"])
def test_set_partial_checks_remains(alice_with_100, sam, service, provider, remains):
    order = placed_order(alice_with_100, service, S.IN_PROGRESS, provider=provider)

    with pytest.raises(StaffActionError, match="Remains must"):
        staff.set_partial(order=order, remains=remains, by=sam, reason=REASON)

    assert Order.objects.get(pk=order.pk).status == S.IN_PROGRESS
    assert (refunds(order), audit(order)) == ([], [])


@pytest.mark.parametrize("status", [S.PENDING, S.HELD, S.COMPLETED, S.CANCELED, S.FAILED])
def test_set_partial_changes_nothing_from_other_statuses(
    alice_with_100, sam, service, provider, status
):
    order = placed_order(alice_with_100, service, status, provider=provider)

    assert not staff.set_partial(order=order, remains=100, by=sam, reason=REASON)

    assert Order.objects.get(pk=order.pk).status == status
    assert (refunds(order), audit(order)) == ([], [])


# --- edit link ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.PENDING, S.HELD])
def test_edit_link_changes_an_unsent_order_and_records_both_links(
    alice_with_100, sam, service, status
):
    order = placed_order(alice_with_100, service, status, link="https://x.test/typo")

    assert staff.edit_link(order=order, link=" https://x.test/right ", by=sam, reason=REASON)
    assert not staff.edit_link(order=order, link="https://x.test/right", by=sam, reason=REASON)

    order.refresh_from_db()
    assert (order.status, order.link) == (status, "https://x.test/right")
    assert audit(order) == [("sam", "edit_link", REASON)]
    assert OrderAction.objects.get(order=order).details == {
        "from": status,
        "to": status,
        "old_link": "https://x.test/typo",
        "new_link": "https://x.test/right",
    }


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("", "Enter the link"),
        ("ftp://x.test/a", "must start with http"),
        ("https://x.test/a b", "spaces"),
        ("https://x.test/" + "a" * 2000, "longer than"),
    ],
)
def test_edit_link_checks_the_link_as_placing_does(alice_with_100, sam, service, link, message):
    order = placed_order(alice_with_100, service, S.PENDING, link="https://x.test/old")

    with pytest.raises(StaffActionError, match=message):
        staff.edit_link(order=order, link=link, by=sam, reason=REASON)

    assert Order.objects.get(pk=order.pk).link == "https://x.test/old"
    assert audit(order) == []


@pytest.mark.parametrize("status", [S.SENDING, S.UNKNOWN, S.IN_PROGRESS, S.COMPLETED])
def test_edit_link_changes_nothing_once_sent(alice_with_100, sam, service, provider, status):
    order = placed_order(
        alice_with_100, service, status, provider=provider, link="https://x.test/old"
    )

    assert not staff.edit_link(order=order, link="https://x.test/new", by=sam, reason=REASON)

    assert Order.objects.get(pk=order.pk).link == "https://x.test/old"
    assert audit(order) == []


# --- every function -----------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
@pytest.mark.parametrize("index", range(6))
def test_every_action_needs_a_reason(
    alice_with_100, sam, service, provider, enqueued, reason, index
):
    status = [S.UNKNOWN, S.UNKNOWN, S.HELD, S.PENDING, S.IN_PROGRESS, S.PENDING][index]
    order = placed_order(alice_with_100, service, status, provider=provider)
    paid = balance(alice_with_100)

    with pytest.raises(StaffActionError, match="reason"):
        every_function(order, sam, reason)[index]()

    assert Order.objects.get(pk=order.pk).status == status
    assert (refunds(order), balance(alice_with_100), audit(order), enqueued) == ([], paid, [], [])


def test_applicable_actions_follow_the_status(alice_with_100, sam, service, provider):
    def actions(status, **fields):
        return staff.applicable_actions(Order(status=status, **fields))

    assert actions(S.UNKNOWN) == [
        "attach_upstream_id", "confirm_not_created_and_resend", "cancel_with_refund",
        "set_partial",
    ]  # fmt: skip
    assert actions(S.HELD) == ["resend", "cancel_with_refund", "edit_link"]
    assert actions(S.FAILED, refunded=Decimal(0)) == ["resend"]
    assert actions(S.FAILED, refunded=Decimal("1")) == []
    assert actions(S.COMPLETED) == []
