from decimal import Decimal

import pytest

from accounts.forms import EmailForm
from accounts.models import User
from harness.customers import assert_ledger_balanced, fund

pytestmark = pytest.mark.django_db


def test_account_page_shows_username_date_joined_balance_and_password_link(alice_client, alice):
    fund(alice, "12.5")

    html = alice_client.get("/account").content.decode()

    assert "alice" in html
    assert alice.date_joined.strftime("%Y") in html
    assert "12.50 USD" in html
    assert 'href="/account/password"' in html
    assert 'value="alice@example.com"' in html


def test_customer_changes_their_email(alice_client, alice):
    response = alice_client.post("/account", {"email": "alice.new@example.com"})

    assert response["Location"] == "/account"
    alice.refresh_from_db()
    assert alice.email == "alice.new@example.com"
    assert "Your email address is saved." in alice_client.get("/account").content.decode()


@pytest.mark.parametrize("email", ["", "not-an-email", "bob@example.com", "BOB@EXAMPLE.COM"])
def test_email_change_refuses_invalid_or_taken_addresses(alice_client, alice, bob, email):
    response = alice_client.post("/account", {"email": email})

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_saving_the_email_never_writes_back_the_balance(alice_client, alice):
    # The logged-in user is read at the start of the request; a credit lands meanwhile.
    client_user = User.objects.get(pk=alice.pk)
    fund(alice, "30")
    form = EmailForm({"email": "alice2@example.com"}, instance=client_user)
    assert form.is_valid()
    form.save()

    alice.refresh_from_db()
    assert (alice.email, alice.balance) == ("alice2@example.com", Decimal("30"))
    assert_ledger_balanced()
