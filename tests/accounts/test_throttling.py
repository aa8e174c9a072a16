"""Throttling (accounts/views.py): login attempts per username (from any address) and per
address (any username), sign-ups and password-reset requests per address; past a limit the
answer is 429 and nothing is checked, made or mailed."""

from django.core import mail

from accounts.models import User
from harness.customers import PASSWORD


def login(client, username, password, remote="203.0.113.1"):
    return client.post("/login", {"username": username, "password": password}, REMOTE_ADDR=remote)


def test_logins_per_username_are_capped_from_every_address(client, alice, settings):
    settings.LOGIN_RATE_PER_USERNAME = 3
    settings.AXES_FAILURE_LIMIT = 100  # the per-pair lockout out of the way
    for n in range(3):
        assert login(client, "alice", "wrong", remote=f"198.51.100.{n}").status_code == 200
    # A spray from a fourth address, even with the right password: refused, unchecked.
    refused = login(client, "ALICE", PASSWORD, remote="198.51.100.99")
    assert refused.status_code == 429
    assert "Too many logins" in refused.content.decode()
    assert refused["Retry-After"] == "3600"
    assert "_auth_user_id" not in client.session
    # Another username is not affected.
    assert login(client, "bob", "wrong", remote="198.51.100.99").status_code == 200


def test_logins_per_address_are_capped_for_every_username(client, alice, settings):
    settings.LOGIN_RATE_PER_IP = 3
    for name in ("carol", "dave", "erin"):
        assert login(client, name, "wrong").status_code == 200
    assert login(client, "alice", PASSWORD).status_code == 429
    assert login(client, "alice", PASSWORD, remote="203.0.113.2").status_code == 302


def test_signups_per_address_are_capped(client, settings, db):
    settings.SIGNUP_RATE_PER_IP = 2

    def signup(name, remote="203.0.113.1"):
        client.logout()
        return client.post(
            "/signup",
            {
                "username": name,
                "email": f"{name}@example.com",
                "password1": "a-long-Passphrase-42",
                "password2": "a-long-Passphrase-42",
            },
            REMOTE_ADDR=remote,
        )

    assert signup("carol").status_code == 302
    assert signup("dave").status_code == 302
    assert signup("erin").status_code == 429
    assert not User.objects.filter(username="erin").exists()
    assert signup("erin", remote="203.0.113.2").status_code == 302


def test_password_reset_requests_per_address_are_capped(client, alice, settings):
    settings.PASSWORD_RESET_RATE_PER_IP = 2
    for _ in range(2):
        response = client.post("/password-reset", {"email": "alice@example.com"})
        assert response.status_code == 302
    assert client.post("/password-reset", {"email": "alice@example.com"}).status_code == 429
    assert len(mail.outbox) == 2


def test_reading_the_pages_is_not_counted(client, settings, db):
    settings.LOGIN_RATE_PER_IP = settings.SIGNUP_RATE_PER_IP = 1
    settings.PASSWORD_RESET_RATE_PER_IP = 1
    for _ in range(3):
        for url in ("/login", "/signup", "/password-reset"):
            assert client.get(url).status_code == 200
