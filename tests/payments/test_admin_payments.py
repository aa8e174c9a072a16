import threading
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client

from accounts.models import LedgerEntry, LedgerKind, Payment, PaymentStatus
from harness.customers import assert_ledger_balanced, make_user

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/payment/"


def pending(user, amount="25", reference="TRX-1") -> Payment:
    return Payment.objects.create(
        user=user, method="manual", amount=Decimal(amount), reference=reference
    )


def run_action(client, action, payments, note="", **extra):
    data = {"action": action, "_selected_action": [p.pk for p in payments], "apply": "1"}
    return client.post(CHANGELIST, {**data, "note": note, **extra}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_approve_action_first_asks_for_a_note(sam_client, alice):
    payment = pending(alice)

    response = sam_client.post(
        CHANGELIST, {"action": "approve_selected", "_selected_action": [payment.pk]}
    )

    assert response.status_code == 200
    assert "accounts/admin/decide_payments.html" in [t.name for t in response.templates]
    assert 'name="note"' in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not LedgerEntry.objects.exists()


def test_the_note_page_carries_the_selection_back(sam_client, alice):
    import re

    payments = [pending(alice), pending(alice)]
    page = sam_client.post(
        CHANGELIST, {"action": "approve_selected", "_selected_action": [p.pk for p in payments]}
    ).content.decode()

    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page):
        fields.setdefault(name, []).append(value)
    assert sorted(fields["_selected_action"]) == sorted(str(p.pk) for p in payments)
    assert fields["action"] == ["approve_selected"]
    sam_client.post(CHANGELIST, {**fields, "apply": "1", "note": "paid"}, follow=True)

    for payment in payments:
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.APPROVED


def test_approving_credits_exactly_once_even_when_the_action_is_posted_twice(
    sam_client, sam, alice
):
    payment = pending(alice, "25")

    first = run_action(sam_client, "approve_selected", [payment], note="On the statement")
    second = run_action(sam_client, "approve_selected", [payment], note="again")

    assert messages_of(first) == ["1 payment approved."]
    assert messages_of(second) == ["0 payments approved. 1 already decided, left as it was."]
    alice.refresh_from_db()
    assert alice.balance == Decimal("25")
    deposit = LedgerEntry.objects.get(user=alice)
    assert (deposit.kind, deposit.amount, deposit.payment, deposit.created_by) == (
        LedgerKind.DEPOSIT,
        Decimal("25"),
        payment,
        sam,
    )
    payment.refresh_from_db()
    assert (payment.status, payment.decided_by, payment.note) == (
        PaymentStatus.APPROVED,
        sam,
        "On the statement",
    )
    assert_ledger_balanced()


def test_the_action_reports_approved_and_already_decided_payments(sam_client, alice, bob):
    fresh = [pending(alice, "10", "A"), pending(bob, "5", "B")]
    decided = pending(alice, "99", "C")
    run_action(sam_client, "reject_selected", [decided])

    response = run_action(sam_client, "approve_selected", [*fresh, decided])

    assert messages_of(response) == ["2 payments approved. 1 already decided, left as it was."]
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.balance, bob.balance) == (Decimal("10"), Decimal("5"))
    assert_ledger_balanced()


def test_rejecting_never_credits(sam_client, sam, alice):
    payment = pending(alice)

    response = run_action(sam_client, "reject_selected", [payment], note="No such transfer")
    run_action(sam_client, "approve_selected", [payment])

    assert messages_of(response) == ["1 payment rejected."]
    payment.refresh_from_db()
    assert (payment.status, payment.note, payment.decided_by) == (
        PaymentStatus.REJECTED,
        "No such transfer",
        sam,
    )
    alice.refresh_from_db()
    assert alice.balance == 0
    assert not LedgerEntry.objects.exists()
    assert_ledger_balanced()


def test_the_change_page_has_approve_and_reject_buttons_while_pending(sam_client, alice):
    payment = pending(alice)
    url = f"{CHANGELIST}{payment.pk}/change/"

    html = sam_client.get(url).content.decode()
    assert f"{CHANGELIST}{payment.pk}/approve/" in html
    assert f"{CHANGELIST}{payment.pk}/reject/" in html
    assert 'name="_save"' not in html  # payments are decided, never edited

    assert 'name="note"' in sam_client.get(f"{CHANGELIST}{payment.pk}/approve/").content.decode()
    response = sam_client.post(f"{CHANGELIST}{payment.pk}/approve/", {"note": "ok"}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert messages_of(response) == ["1 payment approved."]
    again = sam_client.post(f"{CHANGELIST}{payment.pk}/approve/", {"note": "ok"}, follow=True)
    assert messages_of(again) == ["0 payments approved. 1 already decided, left as it was."]

    alice.refresh_from_db()
    assert alice.balance == Decimal("25")
    html = sam_client.get(url).content.decode()
    assert f"{CHANGELIST}{payment.pk}/reject/" not in html
    assert "/admin/accounts/ledgerentry/" in html
    assert_ledger_balanced()


def test_the_reject_button_never_credits(sam_client, alice):
    payment = pending(alice)

    sam_client.post(f"{CHANGELIST}{payment.pk}/reject/", {"note": ""})

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REJECTED
    assert not LedgerEntry.objects.exists()


def test_payments_list_filters_and_searches(sam_client, alice, bob):
    mine = pending(alice, reference="ALICE-REF")
    theirs = pending(bob, reference="BOB-REF")
    run_action(sam_client, "approve_selected", [theirs])

    def listed(query: str) -> list[int]:
        return [p.pk for p in sam_client.get(f"{CHANGELIST}?{query}").context["cl"].result_list]

    assert listed("status__exact=pending") == [mine.pk]
    assert listed("method=manual") == [theirs.pk, mine.pk]
    assert listed("q=bob") == [theirs.pk]
    assert listed("q=ALICE-REF") == [mine.pk]
    assert listed(f"q={mine.pk}") == [mine.pk]
    assert_ledger_balanced()


def test_staff_without_the_change_permission_can_look_but_not_decide(client, alice):
    viewer = make_user("vic", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_payment"))
    client.force_login(viewer)
    payment = pending(alice)

    assert client.get(CHANGELIST).status_code == 200
    assert client.post(f"{CHANGELIST}{payment.pk}/approve/", {"note": ""}).status_code == 403
    run_action(client, "approve_selected", [payment])
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not LedgerEntry.objects.exists()


OUTCOMES = ["0 payments approved. 1 already decided, left as it was.", "1 payment approved."]


@pytest.mark.django_db(transaction=True)
def test_two_staff_approving_the_same_payment_at_once_credit_it_once():
    alice = make_user("alice")
    staff = [make_user(name, is_staff=True, is_superuser=True) for name in ("sam", "tess")]
    payment = pending(alice, "40")
    start = threading.Barrier(len(staff))
    reports: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def approve(user):
        try:
            client = Client()
            client.force_login(user)
            start.wait(timeout=10)
            response = run_action(client, "approve_selected", [payment])
            # From the page itself: response.context collects every thread's renders.
            html = response.content.decode()
            reports[user.username] = [text for text in OUTCOMES if text in html]
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors
    assert sorted(reports.values()) == [[OUTCOMES[0]], [OUTCOMES[1]]]
    alice.refresh_from_db()
    assert alice.balance == Decimal("40")
    assert LedgerEntry.objects.filter(payment=payment).count() == 1
    assert_ledger_balanced()
