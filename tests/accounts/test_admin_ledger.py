from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.db import transaction
from django.test import RequestFactory

from accounts import ledger
from accounts.models import LedgerEntry
from harness.customers import assert_ledger_balanced, fund

from .helpers import place

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/ledgerentry/"


def test_the_ledger_admin_offers_no_add_change_or_delete(sam, sam_client, alice):
    fund(alice, "5")
    entry = LedgerEntry.objects.get()
    model_admin = site._registry[LedgerEntry]
    request = RequestFactory().get(CHANGELIST)
    request.user = sam

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    assert "delete_selected" not in model_admin.get_actions(request)

    listing = sam_client.get(CHANGELIST)
    assert listing.status_code == 200
    assert f"{CHANGELIST}add/" not in listing.content.decode()
    detail = sam_client.get(f"{CHANGELIST}{entry.pk}/change/").content.decode()
    assert 'name="_save"' not in detail
    assert 'name="amount"' not in detail
    assert sam_client.get(f"{CHANGELIST}add/").status_code == 403
    assert sam_client.post(f"{CHANGELIST}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    sam_client.post(f"{CHANGELIST}{entry.pk}/change/", {"amount": "999", "memo": "edited"})
    entry.refresh_from_db()
    assert (entry.amount, entry.memo) == (Decimal("5"), "test funds")
    assert_ledger_balanced()


def test_the_ledger_admin_filters_by_kind_and_searches_user_order_and_memo(
    sam, sam_client, alice, bob, service
):
    fund(alice, "10", memo="welcome bonus")
    fund(bob, "10")
    order = place(alice, service, quantity=1000)
    with transaction.atomic():
        ledger.adjust(
            user_id=bob.pk, amount=Decimal("-2"), reason="chargeback from the bank", by=sam
        )

    def listed(query: str) -> set[int]:
        response = sam_client.get(f"{CHANGELIST}?{query}")
        assert response.status_code == 200
        return {e.pk for e in response.context["cl"].result_list}

    charge = LedgerEntry.objects.get(order=order)
    assert listed("kind__exact=charge") == {charge.pk}
    assert listed(f"q={order.pk}") == {charge.pk}
    assert listed("q=bob") == set(LedgerEntry.objects.filter(user=bob).values_list("pk", flat=True))
    assert listed("q=chargeback") == {LedgerEntry.objects.get(memo="chargeback from the bank").pk}
    assert listed("q=welcome") == {LedgerEntry.objects.get(memo="welcome bonus").pk}
    assert listed(f"user__id__exact={alice.pk}") == set(
        LedgerEntry.objects.filter(user=alice).values_list("pk", flat=True)
    )
    assert_ledger_balanced()


def test_the_ledger_admin_has_a_date_hierarchy(sam_client, alice):
    fund(alice, "1")
    entry = LedgerEntry.objects.get()
    response = sam_client.get(f"{CHANGELIST}?created_at__year={entry.created_at.year}")
    assert [e.pk for e in response.context["cl"].result_list] == [entry.pk]
