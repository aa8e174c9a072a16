"""Customer API keys are HMACed with API_KEY_HMAC_SECRETS, not SECRET_KEY: rotating SECRET_KEY
leaves them working; rotating the HMAC secret (new first, old after) re-signs each key on its
next use; keys from before these secrets (signed with SECRET_KEY) keep working and are re-signed.
"""

import hashlib
import hmac
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.apikeys import issue_key, secret_id, user_for_key
from accounts.models import ApiKey

pytestmark = pytest.mark.django_db

OLD, NEW = "old-hmac-secret-0123456789abcdef", "new-hmac-secret-fedcba9876543210"


def hmac_of(key: str, secret: str) -> str:
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()


def test_keys_are_signed_with_the_first_hmac_secret_not_secret_key(alice, settings):
    settings.API_KEY_HMAC_SECRETS = [NEW, OLD]
    key = issue_key(alice)
    row = ApiKey.objects.get(user=alice)
    assert row.digest == hmac_of(key, NEW)
    assert row.digest != hmac_of(key, settings.SECRET_KEY)
    assert row.secret_id == secret_id(NEW) and NEW not in row.secret_id


def test_rotating_secret_key_leaves_api_keys_working(alice, settings):
    settings.API_KEY_HMAC_SECRETS = [NEW]
    key = issue_key(alice)
    settings.SECRET_KEY = "a-brand-new-secret-key-after-rotation-0123456789"
    assert user_for_key(key).pk == alice.pk


def test_rotating_the_hmac_secret_re_signs_each_key_on_its_next_use(alice, bob, settings):
    settings.API_KEY_HMAC_SECRETS = [OLD]
    used, unused = issue_key(alice), issue_key(bob)
    settings.API_KEY_HMAC_SECRETS = [NEW, OLD]  # the new one signs, the old still verifies
    assert user_for_key(used).pk == alice.pk
    assert ApiKey.objects.get(user=alice).secret_id == secret_id(NEW)
    assert ApiKey.objects.get(user=alice).digest == hmac_of(used, NEW)
    assert ApiKey.objects.get(user=bob).secret_id == secret_id(OLD)

    out = StringIO()
    call_command("apikey_secrets", stdout=out)
    assert "secret #1 (signs and verifies): 1 keys" in out.getvalue()
    assert "secret #2 (verifies only): 1 keys" in out.getvalue()

    settings.API_KEY_HMAC_SECRETS = [NEW]  # the old secret removed
    assert user_for_key(used).pk == alice.pk
    assert user_for_key(unused) is None  # never used during the rotation: refused


def test_keys_from_before_the_hmac_secrets_keep_working_and_are_re_signed(alice, settings):
    settings.API_KEY_HMAC_SECRETS = [NEW]
    key = issue_key(alice)
    # As 0007_api_key_hmac_secret_id leaves a key issued before: HMAC of SECRET_KEY, no id.
    ApiKey.objects.filter(user=alice).update(digest=hmac_of(key, settings.SECRET_KEY), secret_id="")
    old_secret_key = settings.SECRET_KEY
    settings.SECRET_KEY = "rotated-secret-key-0123456789-0123456789-0123456789"
    settings.SECRET_KEY_FALLBACKS = [old_secret_key]
    assert user_for_key(key).pk == alice.pk
    row = ApiKey.objects.get(user=alice)
    assert (row.secret_id, row.digest) == (secret_id(NEW), hmac_of(key, NEW))
    settings.SECRET_KEY_FALLBACKS = []
    assert user_for_key(key).pk == alice.pk  # now independent of SECRET_KEY


def test_a_wrong_key_with_the_right_prefix_is_refused(alice, settings):
    key = issue_key(alice)
    assert user_for_key(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
