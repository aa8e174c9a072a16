from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry

from accounts.admin import PanelUserAdmin
from accounts.models import LedgerEntry, LedgerKind
from harness.customers import assert_ledger_balanced, fund, make_user

pytestmark = pytest.mark.django_db


def adjust_url(user) -> str:
    return f"/admin/accounts/user/{user.pk}/adjust-balance/"


def test_balance_is_shown_read_only_in_the_user_list_and_detail(sam_client, alice):
    fund(alice, "42.5")

    listing = sam_client.get("/admin/accounts/user/?q=alice").content.decode()
    assert "42.5000000" in listing
    detail = sam_client.get(f"/admin/accounts/user/{alice.pk}/change/")
    assert 'name="balance"' not in detail.content.decode()
    assert "42.5000000" in detail.content.decode()
    assert adjust_url(alice) in detail.content.decode()


def test_user_list_filters_by_balance(sam_client, alice, bob):
    fund(alice, "1")
    response = sam_client.get("/admin/accounts/user/?balance=positive")
    assert [u.username for u in response.context["cl"].result_list] == ["alice"]


def test_staff_credit_records_the_reason_and_who_made_it(sam_client, sam, alice):
    response = sam_client.post(
        adjust_url(alice), {"amount": "15.1234567", "reason": "  Compensation for ticket 88 "}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/admin/accounts/user/{alice.pk}/change/"
    alice.refresh_from_db()
    assert alice.balance == Decimal("15.1234567")
    entry = LedgerEntry.objects.get(user=alice)
    assert (entry.kind, entry.amount, entry.created_by, entry.memo) == (
        LedgerKind.ADJUSTMENT,
        Decimal("15.1234567"),
        sam,
        "Compensation for ticket 88",
    )
    assert LogEntry.objects.filter(object_id=str(alice.pk), user=sam).exists()
    assert_ledger_balanced()


def test_staff_debit_takes_from_the_balance(sam_client, sam, alice):
    fund(alice, "10")

    sam_client.post(adjust_url(alice), {"amount": "-4.25", "reason": "Chargeback"})

    alice.refresh_from_db()
    assert alice.balance == Decimal("5.75")
    assert LedgerEntry.objects.filter(user=alice, amount=Decimal("-4.25"), created_by=sam).exists()
    assert_ledger_balanced()
    # The form again lists the entries, as money: -4.25, not -4.2500000.
    page = sam_client.get(adjust_url(alice)).content.decode()
    assert "<td>-4.25</td><td>5.75</td>" in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "5", "reason": ""}, "reason"),
        ({"amount": "5", "reason": "   "}, "reason"),
        ({"amount": "0", "reason": "nothing"}, "amount"),
        ({"amount": "0.00000001", "reason": "too precise"}, "amount"),
        ({"amount": "abc", "reason": "typo"}, "amount"),
        ({"amount": "1000000.01", "reason": "too big"}, "amount"),
        ({"amount": "-1000000.01", "reason": "too big"}, "amount"),
    ],
)
def test_adjustment_refuses_a_missing_reason_or_a_bad_amount(sam_client, alice, data, field):
    response = sam_client.post(adjust_url(alice), data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not LedgerEntry.objects.exists()
    alice.refresh_from_db()
    assert alice.balance == 0


def test_a_debit_beyond_the_balance_is_refused_and_changes_nothing(sam_client, alice):
    fund(alice, "3")

    response = sam_client.post(adjust_url(alice), {"amount": "-3.01", "reason": "Chargeback"})

    assert response.status_code == 200
    assert "Not enough funds" in str(response.context["form"].errors["amount"])
    alice.refresh_from_db()
    assert alice.balance == Decimal("3")
    assert LedgerEntry.objects.filter(user=alice).count() == 1
    assert_ledger_balanced()


def test_the_adjust_action_opens_the_form_for_one_user(sam_client, alice, bob):
    one = sam_client.post(
        "/admin/accounts/user/", {"action": "adjust_balance", "_selected_action": [alice.pk]}
    )
    assert one["Location"] == adjust_url(alice)

    two = sam_client.post(
        "/admin/accounts/user/",
        {"action": "adjust_balance", "_selected_action": [alice.pk, bob.pk]},
        follow=True,
    )
    assert "Select exactly one user" in two.content.decode()


def test_staff_without_change_permission_cannot_adjust(client, alice):
    viewer = make_user("vic", is_staff=True)
    client.force_login(viewer)

    assert client.post(adjust_url(alice), {"amount": "5", "reason": "x"}).status_code == 403
    assert not LedgerEntry.objects.exists()


def test_customers_cannot_reach_the_adjustment(alice_client, bob):
    response = alice_client.post(adjust_url(bob), {"amount": "5", "reason": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not LedgerEntry.objects.exists()


@pytest.fixture
def credit_while_admin_edits(monkeypatch):
    """A credit committed after the admin read the user and before it saves it."""
    original = PanelUserAdmin.get_object

    def get_object(self, request, object_id, from_field=None):
        user = original(self, request, object_id, from_field)
        if request.method == "POST":
            fund(user, "9")
        return user

    monkeypatch.setattr(PanelUserAdmin, "get_object", get_object)


def test_saving_a_user_in_the_admin_never_writes_back_the_balance(
    sam_client, alice, credit_while_admin_edits
):
    form = sam_client.get(f"/admin/accounts/user/{alice.pk}/change/").context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value not in (None, False) and name in ("username", "first_name", "last_name")
    }
    data.update({"email": "alice@new.example.com", "is_active": "on"})

    response = sam_client.post(f"/admin/accounts/user/{alice.pk}/change/", data)

    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.email, alice.balance) == ("alice@new.example.com", Decimal("9"))
    assert_ledger_balanced()


def test_setting_a_password_in_the_admin_never_writes_back_the_balance(
    sam_client, alice, credit_while_admin_edits
):
    response = sam_client.post(
        f"/admin/accounts/user/{alice.pk}/password/",
        {
            "password1": "brand-new-pass-991",
            "password2": "brand-new-pass-991",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("brand-new-pass-991")
    assert alice.balance == Decimal("9")
    assert_ledger_balanced()


def test_a_full_save_of_a_stale_user_never_writes_the_balance_back(db):
    from decimal import Decimal

    from django.db import transaction

    from accounts import ledger
    from accounts.models import LedgerKind, User

    user = User.objects.create_user("stale")
    stale = User.objects.get(pk=user.pk)  # balance 0 as loaded
    with transaction.atomic():
        ledger.credit(user_id=user.pk, amount=Decimal(5), kind=LedgerKind.ADJUSTMENT, memo="t")
    stale.email = "new@example.com"
    stale.save()
    user.refresh_from_db()
    assert (user.balance, user.email) == (Decimal(5), "new@example.com")
