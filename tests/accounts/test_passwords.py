import re
from decimal import Decimal

import pytest
from django.core import mail

from accounts.forms import PasswordChangeForm
from accounts.models import User
from harness.customers import PASSWORD, assert_ledger_balanced, fund

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "correct-horse-battery-77"


def test_password_change_needs_the_old_password(alice_client, alice):
    response = alice_client.post(
        "/account/password",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_change_sets_the_new_password_and_keeps_the_customer_logged_in(
    alice_client, alice
):
    response = alice_client.post(
        "/account/password",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response["Location"] == "/account/password/done"
    assert alice_client.get("/account/password/done").status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert alice_client.get("/").context["user"] == alice


def test_password_change_does_not_write_back_a_stale_balance(alice):
    stale = User.objects.get(pk=alice.pk)  # read before the credit, as a request would
    fund(alice, "25")

    form = PasswordChangeForm(
        stale,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert form.is_valid()
    form.save()

    alice.refresh_from_db()
    assert alice.balance == Decimal("25")
    assert alice.check_password(NEW_PASSWORD)
    assert_ledger_balanced()


def reset_link(message) -> str:
    return re.search(r"https?://testserver(/password-reset/\S+)", message.body).group(1)


def test_password_reset_emails_a_link_that_sets_a_new_password(client, alice):
    response = client.post("/password-reset", {"email": "ALICE@example.com"})

    assert response["Location"] == "/password-reset/sent"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert "Reset your" in message.subject
    assert "alice" in message.body

    form_page = client.get(reset_link(message), follow=True)
    assert form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/password-reset/done"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)

    # The link is single-use.
    again = client.get(reset_link(message), follow=True)
    assert again.context["validlink"] is False
    assert "no longer works" in again.content.decode()


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client, alice):
    response = client.post("/password-reset", {"email": "nobody@example.com"})

    assert response["Location"] == "/password-reset/sent"
    assert mail.outbox == []


def test_setting_a_new_password_by_email_lifts_the_login_lockout(client, alice):
    for _ in range(5):
        client.post("/login", {"username": "alice", "password": "wrong"})
    assert client.post("/login", {"username": "alice", "password": PASSWORD}).status_code == 429

    client.post("/password-reset", {"email": "alice@example.com"})
    set_url = client.get(reset_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = client.post("/login", {"username": "alice", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
