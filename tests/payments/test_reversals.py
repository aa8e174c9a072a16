"""What a refund or dispute leaves owed pauses ordering until staff collect or write it off."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from accounts.models import LedgerEntry, LedgerKind
from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import fund, make_user
from harness.webhooks import opened, post_stripe, stripe_paid
from orders.placing import PAUSED, OrderError
from payments.models import Reversal
from payments.reversals import close_reversal, collect_owed, ordering_paused, record_reversal
from tests.accounts.helpers import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(db):
    return make_service(make_upstream(make_provider()), fixed_rate=Decimal("8"))


@pytest.fixture
def owing(client, alice, stripe_gateway, keys, service):
    """alice paid 10 by card, spent 8, then the card holder disputed all 10: 2 taken, 8 owed."""
    payment = opened(alice, "stripe", "10.00", "USD")
    post_stripe(client, stripe_paid(payment, intent="pi_owe"), keys["stripe_webhook_secret"])
    place(alice, service, quantity=1000)
    return record_reversal(
        method="stripe", payment_id="pi_owe", ref="dp_1", kind="dispute", amount=Decimal(10),
        currency="USD",
    )  # fmt: skip


def test_what_the_balance_does_not_cover_is_owed_and_ordering_pauses(alice, owing, service):
    assert (owing.take_back, owing.taken, owing.owed) == (Decimal(10), Decimal(2), Decimal(8))
    alice.refresh_from_db()
    assert alice.balance == 0
    debit = LedgerEntry.objects.get(kind=LedgerKind.REVERSAL)
    assert (debit.amount, debit.payment_id) == (Decimal(-2), owing.payment_id)

    fund(alice, "50")
    with pytest.raises(OrderError) as refused:
        place(alice, service)
    assert refused.value.message == PAUSED
    alice.refresh_from_db()
    assert alice.balance == Decimal(50)  # nothing was charged


def test_a_mass_order_is_refused_as_paused_too(alice, owing, service):
    from orders.placing import place_mass_order

    fund(alice, "50")
    with pytest.raises(OrderError) as refused:
        place_mass_order(user=alice, text=f"{service.pk}|https://instagram.com/p/1|1000")
    assert refused.value.message == PAUSED


def test_the_funds_page_and_the_api_say_ordering_is_paused(client, alice, owing, service):
    from accounts.apikeys import issue_key

    client.force_login(alice)
    assert "Ordering is paused" in client.get("/funds").content.decode()
    fund(alice, "50")
    key = issue_key(alice)
    answer = client.post(
        "/api/v2", {"key": key, "action": "add", "service": service.pk,
                    "link": "https://instagram.com/x", "quantity": 100},
    ).json()  # fmt: skip
    assert answer == {"error": PAUSED}


def test_collecting_takes_what_the_balance_now_holds_until_nothing_is_owed(
    alice, sam, owing, service
):
    fund(alice, "3")
    partly = collect_owed(reversal_id=owing.pk, by=sam)
    assert (partly.taken, partly.owed, partly.decided_at) == (Decimal(5), Decimal(5), None)
    assert ordering_paused(alice.pk)

    fund(alice, "10")
    done = collect_owed(reversal_id=owing.pk, by=sam)

    assert (done.taken, done.owed, done.decided_by) == (Decimal(10), Decimal(0), sam)
    alice.refresh_from_db()
    assert alice.balance == Decimal(5)
    assert not ordering_paused(alice.pk)
    place(alice, service, quantity=100)


def test_writing_off_resumes_ordering_once(alice, sam, owing):
    assert close_reversal(reversal_id=owing.pk, by=sam, note="goodwill")
    assert not close_reversal(reversal_id=owing.pk, by=sam)

    owing.refresh_from_db()
    assert (owing.owed, owing.written_off, owing.note) == (Decimal(0), Decimal(8), "goodwill")
    assert not ordering_paused(alice.pk)


def test_staff_decide_from_the_admin_with_the_decide_permission(client, alice, owing):
    viewer = make_user("vic", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_reversal"))
    client.force_login(viewer)
    listing = client.get("/admin/payments/reversal/")
    assert listing.status_code == 200
    assert "write_off_selected" not in listing.content.decode()
    denied = client.post(
        "/admin/payments/reversal/",
        {"action": "write_off_selected", "_selected_action": [owing.pk]},
    )
    owing.refresh_from_db()
    assert owing.owed == Decimal(8) and denied.status_code in (200, 302)

    viewer.user_permissions.add(Permission.objects.get(codename="decide_payment"))
    client.post(
        "/admin/payments/reversal/",
        {"action": "write_off_selected", "_selected_action": [owing.pk]},
    )
    owing.refresh_from_db()
    assert (owing.owed, owing.decided_by) == (Decimal(0), viewer)


def test_a_refund_of_a_payment_never_credited_takes_nothing(client, alice, stripe_gateway, keys):
    payment = opened(alice, "stripe", "10.00", "USD")
    post_stripe(
        client, stripe_paid(payment, intent="pi_x", amount="9.00"), keys["stripe_webhook_secret"]
    )
    payment.refresh_from_db()
    assert payment.gateway_payment_id == ""  # the mismatch was flagged, not credited
    payment.gateway_payment_id = "pi_x"
    payment.save(update_fields=["gateway_payment_id"])

    reversal = record_reversal(
        method="stripe", payment_id="pi_x", ref="re_1", kind="refund", amount=Decimal(9),
        currency="USD",
    )  # fmt: skip

    assert (reversal.take_back, reversal.owed) == (0, 0)
    assert not Reversal.objects.filter(owed__gt=0).exists()
