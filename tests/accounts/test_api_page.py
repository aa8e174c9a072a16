import re

import pytest

from accounts.apikeys import user_for_key
from accounts.models import ApiKey

pytestmark = pytest.mark.django_db


def new_key(client) -> str:
    page = client.post("/account/api", {"confirm": "yes"}, follow=True).content.decode()
    return re.search(r'<code class="secret" id="new-key">([^<]+)</code>', page).group(1)


def test_the_api_page_needs_login(client):
    assert client.get("/account/api").status_code == 302


def test_a_key_is_shown_once_then_only_its_prefix(alice_client):
    assert "You have no API key yet" in alice_client.get("/account/api").content.decode()
    key = new_key(alice_client)
    assert user_for_key(key).username == "alice"
    later = alice_client.get("/account/api")
    assert key not in later.content.decode()
    assert key[:12] in later.content.decode()
    assert later["Cache-Control"] == "no-store"
    assert ApiKey.objects.get().digest != key


def test_regenerating_stops_the_old_key_at_once(alice_client):
    old = new_key(alice_client)
    new = new_key(alice_client)
    assert old != new
    assert user_for_key(old) is None
    assert user_for_key(new).username == "alice"
    assert ApiKey.objects.count() == 1


def test_the_page_documents_every_action_with_the_base_url(alice_client):
    page = alice_client.get("/account/api").content.decode()
    assert "http://testserver/api/v2" in page
    for action in ("services", "add", "status", "refill", "refill_status", "cancel", "balance"):
        assert f'id="{action}"' in page or f"action={action}" in page
    assert "import requests" in page


def test_the_key_page_is_post_redirect_get_so_a_reload_never_makes_another_key(alice_client):
    posted = alice_client.post("/account/api")
    assert posted.status_code == 302 and posted["Location"].startswith("/account/api")
    first = alice_client.get(posted["Location"])
    key = re.search(r'id="new-key">([^<]+)<', first.content.decode()).group(1)
    digest = ApiKey.objects.get().digest

    reloaded = alice_client.get(posted["Location"]).content.decode()

    assert key not in reloaded and 'id="new-key"' not in reloaded
    assert ApiKey.objects.get().digest == digest
    assert user_for_key(key).username == "alice"


def test_regenerating_asks_first_and_a_post_without_confirming_keeps_the_key(alice_client):
    key = new_key(alice_client)
    page = alice_client.get("/account/api").content.decode()
    assert "onclick" not in page  # no inline script (the Content Security Policy)
    assert 'href="/account/api?regenerate=1#key-title"' in page

    asked = alice_client.get("/account/api?regenerate=1").content.decode()
    assert "Make a new key?" in asked and 'name="confirm" value="yes"' in asked

    unconfirmed = alice_client.post("/account/api")
    assert unconfirmed.status_code == 302 and "regenerate=1" in unconfirmed["Location"]
    assert user_for_key(key).username == "alice"
