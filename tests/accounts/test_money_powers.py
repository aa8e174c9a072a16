"""Money powers are permissions of their own (accounts.adjust_balance, accounts.decide_payment,
orders.refund_order), and nobody uses them on their own money, superusers included."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission

from accounts import ledger
from accounts.models import LedgerEntry, Payment, PaymentStatus
from audit.models import AuditEntry
from catalog.models import Provider, Service
from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import fund, make_user

pytestmark = pytest.mark.django_db


def staff(client, username: str, *codenames: str, group: str | None = None):
    user = make_user(username, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    if group:
        user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


def test_change_user_no_longer_adjusts_balances(client, alice):
    staff(client, "clerk", "view_user", "change_user")

    assert client.get(f"/admin/accounts/user/{alice.pk}/adjust-balance/").status_code == 403
    response = client.post(
        f"/admin/accounts/user/{alice.pk}/adjust-balance/", {"amount": "50", "reason": "gift"}
    )

    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.balance == 0
    page = client.get(f"/admin/accounts/user/{alice.pk}/change/").content.decode()
    assert "adjust-balance" not in page


def test_finance_adjusts_a_customer_balance_and_it_is_audited(client, alice):
    clerk = staff(client, "fiona", group="Finance")

    response = client.post(
        f"/admin/accounts/user/{alice.pk}/adjust-balance/", {"amount": "7", "reason": "goodwill"}
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.balance == Decimal("7")
    entry = AuditEntry.objects.get(action="adjust_balance")
    assert (entry.actor, entry.target_id) == (clerk, str(alice.pk))
    assert entry.changes == {"balance": ["0.0000000", "7.0000000"]}
    assert "goodwill" in entry.note


def test_nobody_adjusts_their_own_balance_superusers_included(sam_client, sam):
    url = f"/admin/accounts/user/{sam.pk}/adjust-balance/"

    response = sam_client.post(url, {"amount": "1000", "reason": "bonus"})

    assert response.status_code == 200
    assert "Nobody adjusts their own balance" in response.content.decode()
    sam.refresh_from_db()
    assert sam.balance == 0
    assert not LedgerEntry.objects.filter(user=sam).exists()
    refused = AuditEntry.objects.get(action="refused")
    assert (refused.actor, refused.target_id) == (sam, str(sam.pk))
    with pytest.raises(ledger.OwnMoney):
        ledger.adjust(user_id=sam.pk, amount=Decimal("1"), reason="shell", by=sam)


def test_nobody_decides_their_own_payment_superusers_included(sam_client, sam, alice):
    own = Payment.objects.create(user=sam, method="manual", amount=Decimal("50"), reference="S-1")
    theirs = Payment.objects.create(
        user=alice, method="manual", amount=Decimal("5"), reference="A-1"
    )
    data = {"action": "approve_selected", "_selected_action": [own.pk, theirs.pk], "apply": "1"}

    response = sam_client.post("/admin/accounts/payment/", {**data, "note": ""}, follow=True)

    shown = [str(m) for m in response.context["messages"]]
    assert any("Nobody decides their own payment" in m for m in shown)
    own.refresh_from_db()
    theirs.refresh_from_db()
    assert (own.status, theirs.status) == (PaymentStatus.PENDING, PaymentStatus.APPROVED)
    sam.refresh_from_db()
    assert sam.balance == 0
    assert AuditEntry.objects.filter(action="refused", target_id=str(own.pk)).exists()
    assert AuditEntry.objects.filter(action="approve_payment", target_id=str(theirs.pk)).exists()

    one = sam_client.post(f"/admin/accounts/payment/{own.pk}/approve/", {"note": "mine"})
    assert one.status_code == 302
    own.refresh_from_db()
    assert own.status == PaymentStatus.PENDING


def test_view_only_staff_cannot_set_markup_sync_or_check_balances(client):
    service = make_service(make_upstream(make_provider(name="P"), rate="1.00"))
    provider = Provider.objects.get(name="P")
    staff(client, "viewer", "view_service", "view_provider")

    client.post(
        "/admin/catalog/service/",
        {"action": "set_markup", "_selected_action": [service.pk], "apply": "1",
         "percent": "-100"},
    )  # fmt: skip
    for action in ("sync_now", "check_balance"):
        response = client.post(
            "/admin/catalog/provider/", {"action": action, "_selected_action": [provider.pk]},
            follow=True,
        )  # fmt: skip
        assert [str(m) for m in response.context["messages"]] == []  # nothing was run

    service.refresh_from_db()
    assert service.markup_percent is None  # as made: the rules apply
    provider.refresh_from_db()
    assert (provider.last_synced_at, provider.balance_checked_at, provider.last_error) == (
        None, None, "",
    )  # fmt: skip
    listing = client.get("/admin/catalog/service/").content.decode()
    assert "set_markup" not in listing


def test_support_runs_order_actions_that_move_no_money_only(client, alice, service):
    from orders.models import Order, OrderStatus

    fund(alice, "10")
    order = Order.objects.create(
        user=alice, service=service, link="https://instagram.com/x", quantity=100,
        rate=Decimal("1"), charge=Decimal("0.1"), status=OrderStatus.UNKNOWN,
    )  # fmt: skip
    staff(client, "suzy", group="Support")

    refund = client.post(f"/admin/orders/order/{order.pk}/staff/cancel_with_refund/",
                         {"reason": "x"})  # fmt: skip
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()

    assert refund.status_code == 403
    assert "staff/cancel_with_refund/" not in page
    assert "staff/confirm_not_created_and_resend/" in page
    order.refresh_from_db()
    assert order.status == OrderStatus.UNKNOWN
    assert Service.objects.filter(pk=service.pk).exists()


def test_nobody_writes_off_what_they_owe_themselves(sam_client, sam, alice):
    from payments.models import Reversal

    own_payment = Payment.objects.create(
        user=sam, method="manual", amount=Decimal("5"), reference="S-9"
    )
    theirs_payment = Payment.objects.create(
        user=alice, method="manual", amount=Decimal("5"), reference="A-9"
    )
    own, theirs = (
        Reversal.objects.create(payment=p, user=p.user, kind="refund", gateway_ref=f"r{p.pk}",
                                amount=Decimal("5"), currency="USD", take_back=Decimal("5"),
                                owed=Decimal("5"))
        for p in (own_payment, theirs_payment)
    )  # fmt: skip
    data = {"action": "write_off_selected", "_selected_action": [own.pk, theirs.pk]}

    response = sam_client.post("/admin/payments/reversal/", data, follow=True)

    own.refresh_from_db()
    theirs.refresh_from_db()
    assert own.decided_at is None and theirs.decided_at is not None
    shown = [str(m) for m in response.context["messages"]]
    assert any("nobody decides their own money" in m for m in shown)
    assert AuditEntry.objects.filter(action="refused", target_id=str(own.pk)).exists()
    assert AuditEntry.objects.filter(action="write_off", target_id=str(theirs.pk)).exists()
