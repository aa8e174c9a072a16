"""Secrets at rest: provider API keys are encrypted in the database, rotatable, never shown."""

import importlib
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from catalog.models import Provider

pytestmark = pytest.mark.django_db

SECRET = "sentinel-provider-key-5f3a"


def _stored(provider: Provider) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM catalog_provider WHERE id = %s", [provider.pk])
        return cursor.fetchone()[0]


def _provider(**fields) -> Provider:
    return Provider.objects.create(
        name="Upstream", api_url="https://up.example/api/v2", api_key=SECRET, **fields
    )


def test_the_key_is_stored_encrypted_and_read_back_in_clear():
    provider = _provider()
    stored = _stored(provider)
    assert SECRET not in stored and stored.startswith("gAAAA")
    assert Provider.objects.get(pk=provider.pk).api_key == SECRET


def test_keys_rotate_new_first_then_the_old_one_dropped(settings):
    provider = _provider()
    new = Fernet.generate_key().decode()
    old = settings.FIELD_ENCRYPTION_KEYS[0]

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert Provider.objects.get(pk=provider.pk).api_key == SECRET  # old tokens still read
    call_command("rotate_encryption", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Fernet(new.encode()).decrypt(_stored(provider).encode()).decode() == SECRET

    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert Provider.objects.get(pk=provider.pk).api_key == SECRET


def test_a_missing_key_says_so_without_printing_any_key(settings):
    provider = _provider()
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured) as caught:
        Provider.objects.get(pk=provider.pk)
    assert "cannot be decrypted" in str(caught.value)
    assert settings.FIELD_ENCRYPTION_KEYS[0] not in str(caught.value)

    settings.FIELD_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured) as caught:
        Provider.objects.get(pk=provider.pk)
    assert "not-a-fernet-key" not in str(caught.value)


def test_the_migration_encrypts_keys_stored_in_clear_and_leaves_encrypted_ones():
    migration = importlib.import_module("catalog.migrations.0003_provider_api_key_encrypted")
    clear, done = _provider(), Provider.objects.create(name="B", api_url="https://b/", api_key="k2")
    token = _stored(done)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_provider SET api_key = %s WHERE id = %s", [SECRET, clear.pk])

    migration.encrypt_keys(None, SimpleNamespace(connection=connection))
    assert (
        _stored(clear).startswith("gAAAA") and Provider.objects.get(pk=clear.pk).api_key == SECRET
    )
    assert _stored(done) == token

    migration.decrypt_keys(None, SimpleNamespace(connection=connection))
    assert _stored(clear) == SECRET


# --- admin: masked, replaceable, never displayed ------------------------------------------------


def _staff(client, *codenames):
    user = get_user_model().objects.create_user("staffer", "s@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def test_view_only_staff_see_that_a_key_is_set_never_the_key(client):
    provider = _provider()
    client = _staff(client, "view_provider")
    page = client.get(f"/admin/catalog/provider/{provider.pk}/change/").content.decode()
    assert "Set (hidden)" in page
    assert SECRET not in page and _stored(provider) not in page
    assert SECRET not in client.get("/admin/catalog/provider/").content.decode()


def test_editors_get_an_empty_input_blank_keeps_the_key_and_a_new_one_replaces_it(client):
    provider = _provider()
    client = _staff(client, "view_provider", "change_provider")
    url = f"/admin/catalog/provider/{provider.pk}/change/"
    page = client.get(url).content.decode()
    assert 'type="password" name="api_key"' in page and SECRET not in page
    assert "leave blank to keep it" in page

    form = {
        "name": provider.name,
        "api_url": provider.api_url,
        "currency": "USD",
        "exchange_rate": "1",
        "enabled": "on",
    }
    assert client.post(url, {**form, "api_key": ""}).status_code == 302
    assert Provider.objects.get(pk=provider.pk).api_key == SECRET

    assert client.post(url, {**form, "api_key": "  new-key-9  "}).status_code == 302
    assert Provider.objects.get(pk=provider.pk).api_key == "new-key-9"


def test_a_new_provider_needs_its_key(client):
    client = _staff(client, "view_provider", "add_provider")
    form = {"name": "P", "api_url": "https://p.example/api/v2", "currency": "USD"}
    page = client.post("/admin/catalog/provider/add/", {**form, "exchange_rate": "1"})
    assert page.status_code == 200 and "This field is required" in page.content.decode()
    client.post("/admin/catalog/provider/add/", {**form, "exchange_rate": "1", "api_key": "k-1"})
    assert Provider.objects.get(name="P").api_key == "k-1"
