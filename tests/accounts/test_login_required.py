import pytest

pytestmark = pytest.mark.django_db

PRIVATE = ["/funds", "/transactions", "/account", "/account/password", "/account/password/done"]
PUBLIC = [
    "/signup",
    "/login",
    "/password-reset",
    "/password-reset/sent",
    "/password-reset/done",
    "/password-reset/MQ/bad-token",
]


@pytest.mark.parametrize("path", PRIVATE)
def test_every_account_page_needs_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login?next={path}"


@pytest.mark.parametrize("path", PRIVATE)
def test_posting_to_an_account_page_needs_login_too(client, path):
    response = client.post(path, {})
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", PUBLIC)
def test_sign_up_log_in_and_password_reset_pages_are_open(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/", *PRIVATE])
def test_every_account_page_renders_for_a_customer(alice_client, path):
    assert alice_client.get(path).status_code == 200
