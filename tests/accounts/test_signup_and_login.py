import pytest
from axes.models import AccessAttempt

from accounts.models import User
from harness.customers import PASSWORD, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "correct-horse-battery-77"


def signup(client, **overrides):
    data = {
        "username": "carol",
        "email": "carol@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }
    return client.post("/signup", data)


def login(client, username, password, **extra):
    return client.post("/login", {"username": username, "password": password}, **extra)


def test_signup_logs_the_customer_in_and_the_dashboard_shows_a_zero_balance(client):
    response = signup(client)

    assert response.status_code == 302
    assert response["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert page.context["user"].username == "carol"
    html = page.content.decode()
    assert (
        '<p class="stat-value" id="balance"><span class="money">0.00</span> <small>USD</small></p>'
        in html
    )
    assert User.objects.get(username="carol").email == "carol@example.com"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password2": "something-else-entirely"}, "password2"),
        ({"password1": "password", "password2": "password"}, "password2"),
        ({"password1": "12345678901", "password2": "12345678901"}, "password2"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"username": ""}, "username"),
        ({"username": "bad name!"}, "username"),
    ],
)
def test_signup_refuses_bad_input_and_shows_the_error_next_to_the_field(client, overrides, field):
    response = signup(client, **overrides)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="field has-error"' in response.content.decode()
    assert not User.objects.filter(username=overrides.get("username", "carol")).exists()
    assert "_auth_user_id" not in client.session


def test_signup_refuses_a_taken_username_or_email_whatever_the_case(client, alice):
    assert "username" in signup(client, username="ALICE").context["form"].errors
    assert "email" in signup(client, email="Alice@Example.com").context["form"].errors
    assert User.objects.count() == 1


def test_login_with_the_right_password_lands_on_the_dashboard(client, alice):
    response = login(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["user"] == alice


def test_login_returns_to_the_page_that_asked_for_it(client, alice):
    response = client.post("/login?next=/funds", {"username": "alice", "password": PASSWORD})
    assert response["Location"] == "/funds"


def test_login_with_a_wrong_password_says_so(client, alice):
    response = login(client, "alice", "nope")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_five_failures_lock_the_username_and_ip_out_even_with_the_right_password(client, alice):
    for _ in range(4):
        assert login(client, "alice", "wrong").status_code == 200

    locked = login(client, "alice", "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "registration/lockout.html" in [t.name for t in locked.templates]

    again = login(client, "alice", PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_and_ip(client, alice, bob):
    for _ in range(5):
        login(client, "alice", "wrong")

    assert login(client, "bob", PASSWORD).status_code == 302
    client.logout()
    assert login(client, "alice", PASSWORD, REMOTE_ADDR="10.9.8.7").status_code == 302


def test_behind_a_proxy_the_lockout_is_per_forwarded_address(client, alice, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2/32"]
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(5):
        login(client, "alice", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    locked = login(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    assert locked.status_code == 429
    # Alice elsewhere, behind the same proxy, is not locked out by that client.
    assert (
        login(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.4", **proxy).status_code
        == 302
    )


def test_a_successful_login_resets_the_failure_count(client, alice):
    for _ in range(4):
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="alice").exists()
    client.logout()

    for _ in range(4):
        assert login(client, "alice", "wrong").status_code == 200
    assert login(client, "alice", PASSWORD).status_code == 302


def test_the_admin_login_is_locked_out_too(client):
    make_user("sam", is_staff=True)
    for _ in range(5):
        response = client.post("/admin/login/", {"username": "sam", "password": "wrong"})
    assert response.status_code == 429

    response = client.post("/admin/login/", {"username": "sam", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_logout_only_answers_post(alice_client):
    assert alice_client.get("/logout").status_code == 405
    assert alice_client.get("/").context["user"].is_authenticated

    response = alice_client.post("/logout")
    assert response.status_code == 302
    assert response["Location"] == "/login"
    assert "pages/landing.html" in [t.name for t in alice_client.get("/").templates]


def test_logged_in_customers_skip_the_login_and_signup_pages(alice_client):
    assert alice_client.get("/login")["Location"] == "/"
    assert alice_client.get("/signup")["Location"] == "/"


def test_after_sign_up_the_dashboard_welcomes_once(client):
    """Issue 12, defect 9: "Welcome to Boostly" and "Welcome back" were shown together."""
    signup(client)
    html = client.get("/").content.decode()
    assert "Welcome to Boostly, carol!" in html
    assert "Welcome back" not in html
    assert "Welcome back, carol." in client.get("/").content.decode()  # the next visit


def test_logging_out_says_so(alice_client):
    page = alice_client.post("/logout", follow=True)
    assert page.redirect_chain[-1][0] == "/login"
    assert "You have logged out." in page.content.decode()
