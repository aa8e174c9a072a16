"""The one "needs a hand" list: each kind of stuck work is listed with its action, and counted
on the admin index."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Payment
from orders.models import CancelRequest, Order, Refill, RequestStatus
from orders.models import OrderStatus as S
from staff.models import ProgressMark, ServiceWatch
from staff.needs import counts, needs_a_hand
from staff.stalled import refresh_marks
from support.models import Department, Ticket

pytestmark = pytest.mark.django_db


def kinds_now(now=None) -> dict:
    return {kind.code: kind for kind in needs_a_hand(now or timezone.now())}


def test_unknown_orders_with_the_answer_and_both_actions(make_order):
    order = make_order(S.UNKNOWN, flag="add: no answer within the read timeout (outcome unknown)")
    make_order(S.COMPLETED)

    (row,) = kinds_now()["unknown"].rows

    assert row.what == f"Order #{order.pk}"
    assert "no answer within the read timeout" in row.detail
    labels = [label for label, _ in row.actions]
    assert labels == ["Attach upstream id…", "Confirm not created and resend…"]
    urls = [url for _, url in row.actions]
    assert urls[0].endswith(f"/{order.pk}/staff/attach_upstream_id/")
    assert urls[1].endswith(f"/{order.pk}/staff/confirm_not_created_and_resend/")


def test_held_and_stuck_orders(make_order):
    held = make_order(S.HELD, flag="provider Fastfollow is out of funds: Not enough funds")
    stuck = make_order(S.PENDING)
    Order.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(minutes=30))
    make_order(S.PENDING)  # fresh: a worker will take it

    kinds = kinds_now()

    (row,) = kinds["held"].rows
    assert row.what == f"Order #{held.pk}" and "out of funds" in row.detail
    assert row.actions[0][1].endswith(f"/{held.pk}/staff/resend/")
    assert [r.what for r in kinds["stuck"].rows] == [f"Order #{stuck.pk}"]


def test_orders_in_progress_whose_remains_stopped_moving(make_order, service):
    now = timezone.now()
    moving = make_order(S.IN_PROGRESS, remains=500)
    still = make_order(S.IN_PROGRESS, remains=700)
    refresh_marks(now - timedelta(hours=30))
    Order.objects.filter(pk=moving.pk).update(remains=400)
    refresh_marks(now - timedelta(hours=2))  # moving moved 2 h ago; still has not for 30 h

    assert [r.what for r in kinds_now(now)["stalled"].rows] == [f"Order #{still.pk}"]
    assert ProgressMark.objects.get(pk=moving.pk).since == now - timedelta(hours=2)

    # The service allows only one hour: both are stalled now.
    ServiceWatch.objects.create(service=service, stalled_after_hours=1)
    assert kinds_now(now)["stalled"].count == 2

    # An order no longer in progress is forgotten by the next run.
    Order.objects.filter(pk=still.pk).update(status=S.COMPLETED)
    refresh_marks(now)
    assert not ProgressMark.objects.filter(pk=still.pk).exists()


def test_refills_and_cancels_pending_too_long(make_order, alice):
    now = timezone.now()
    done = make_order(S.COMPLETED)
    late = Refill.objects.create(order=done, user=alice, status=RequestStatus.PENDING)
    Refill.objects.filter(pk=late.pk).update(updated_at=now - timedelta(hours=7))
    running = make_order(S.IN_PROGRESS)
    fresh = CancelRequest.objects.create(order=running, user=alice, status=RequestStatus.PENDING)
    other = make_order(S.IN_PROGRESS)
    unknown = CancelRequest.objects.create(order=other, user=alice, status=RequestStatus.UNKNOWN)

    kinds = kinds_now(now)

    assert [r.what for r in kinds["refills"].rows] == [str(late)]
    assert [r.what for r in kinds["cancels"].rows] == [str(unknown)]  # any age: unknown
    assert str(fresh) not in [r.what for r in kinds["cancels"].rows]


def test_payments_waiting_for_approval_and_tickets_waiting_for_staff(alice):
    waiting = Payment.objects.create(
        user=alice, method="manual", amount=Decimal(10), reference="UTR1"
    )
    Payment.objects.create(user=alice, method="manual", amount=Decimal(10))  # no UTR yet
    Payment.objects.create(user=alice, method="stripe", amount=Decimal(10), reference="x")
    department = Department.objects.create(name="Billing")
    ticket = Ticket.objects.create(
        user=alice,
        department=department,
        subject="Where is my order?",
        waiting_since=timezone.now(),
    )
    Ticket.objects.create(user=alice, department=department, subject="Thanks", status="answered")

    kinds = kinds_now()

    (row,) = kinds["payments"].rows
    assert row.what == f"Payment #{waiting.pk}" and "UTR1" in row.detail
    assert row.actions == [("Approve or reject", f"/admin/accounts/payment/{waiting.pk}/change/")]
    assert [r.what for r in kinds["tickets"].rows] == [f"Ticket #{ticket.pk}"]


def test_the_counts_show_on_the_admin_index_and_the_list_has_every_row(make_order, sam_client):
    for _ in range(2):
        make_order(S.UNKNOWN)
    make_order(S.HELD)

    assert counts(timezone.now())["unknown"] == 2
    index = sam_client.get("/admin/").content.decode()
    unknown_row = re.search(r'<tr id="needs-unknown">(.*?)</tr>', index, re.S).group(1)
    assert '<td class="staff-num staff-nonzero">2</td>' in unknown_row
    page = sam_client.get("/admin/staff/needs/").content.decode()
    assert page.count("staff/attach_upstream_id/") == 2
    assert page.count("staff/resend/") == 1
