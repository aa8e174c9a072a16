"""API keys: created once and shown once, stored as prefix + HMAC, checked in constant time.

The HMAC is keyed with API_KEY_HMAC_SECRETS, not SECRET_KEY, so rotating SECRET_KEY leaves
every reseller's integration alone. The first secret signs, every one verifies: to rotate, put
a new secret first and keep the old one after it; each key is re-signed with the new secret the
next time it is used, and the old secret can go once `manage.py apikey_secrets` says no key
needs it (each digest is stored with the id of the secret that signed it). Keys issued before
these secrets existed were signed with SECRET_KEY (empty secret id): they still verify with
SECRET_KEY or one of its SECRET_KEY_FALLBACKS, and are re-signed on their next use.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from panel.db import prepared_cursor

from .models import ApiKey, User

PREFIX_LENGTH = 12


def _digest(key: str, secret: str) -> str:
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=64)
def secret_id(secret: str) -> str:
    """A short public name of an HMAC secret, stored with each digest it signed."""
    return hashlib.sha256(b"api-key-hmac-secret:" + secret.encode()).hexdigest()[:12]


def signing_secret() -> tuple[str, str]:
    """The secret new digests are signed with, and its id."""
    secret = settings.API_KEY_HMAC_SECRETS[0]
    return secret, secret_id(secret)


def _verifying_secrets(stored_id: str) -> list[str]:
    """The secrets that may have signed a digest stored with `stored_id`."""
    if not stored_id:  # issued before API_KEY_HMAC_SECRETS: SECRET_KEY (or a fallback)
        return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [s for s in settings.API_KEY_HMAC_SECRETS if secret_id(s) == stored_id]


def _verify(key: str, digest: str, stored_id: str) -> bool:
    return any(
        hmac.compare_digest(digest, _digest(key, secret))
        for secret in _verifying_secrets(stored_id)
    )


def issue_key(user: User) -> str:
    """A new key for `user`, replacing any old one (which stops working at once).

    Returns the key: the only time it exists in clear.
    """
    for _ in range(5):  # a prefix collision is astronomically rare; retry rather than fail
        key = secrets.token_urlsafe(36)  # 48 characters, 288 bits
        try:
            with transaction.atomic():
                secret, signed_by = signing_secret()
                ApiKey.objects.update_or_create(
                    user=user,
                    defaults={
                        "prefix": key[:PREFIX_LENGTH],
                        "digest": _digest(key, secret),
                        "secret_id": signed_by,
                        "enabled": True,
                    },
                )
            return key
        except IntegrityError:
            continue
    raise RuntimeError("could not issue a unique API key")


# One round trip, no ORM query building: every API request pays for this lookup.
_LOOKUP = """
SELECT k.id, k.digest, k.secret_id, k.user_id,
       (k.last_used_at IS NULL OR k.last_used_at < %(stale)s){along}
FROM accounts_apikey k JOIN accounts_user u ON u.id = k.user_id
WHERE k.prefix = %(prefix)s AND k.enabled AND u.is_active
"""


@lru_cache(maxsize=16)
def _lookup_with(sql: str) -> str:
    return _LOOKUP.format(along=f", ({sql})" if sql else "")


def user_for_key(key: object) -> User | None:
    """The active customer owning `key`, or None. Constant-time comparison of the digest.

    The user comes back deferred: only its id is loaded, other fields load if touched.
    """
    return user_for_key_along(key)[0]


def user_for_key_along(
    key: object, along: tuple[str, dict] | None = None
) -> tuple[User | None, object]:
    """user_for_key, and `along`'s value computed in the same round trip: a SQL scalar
    expression over the owner's id, `k.user_id`, with its named parameters. A request's main
    read rides along with its key check (the API's bulk status); the value is None, never
    shown, when the key is wrong."""
    if not isinstance(key, str) or not (PREFIX_LENGTH < len(key) <= 200) or not key.isascii():
        return None, None
    now = timezone.now()
    sql, params = along or ("", {})
    with prepared_cursor() as cursor:
        cursor.execute(
            _lookup_with(sql),
            {**params, "stale": now - timedelta(seconds=60), "prefix": key[:PREFIX_LENGTH]},
        )
        row = cursor.fetchone()
    if row is None:
        return None, None
    key_id, digest, stored_id, user_id, stale, *rest = row
    if not _verify(key, digest, stored_id):
        return None, None
    secret, signed_by = signing_secret()
    if stored_id != signed_by:  # signed with a rotated-out secret: sign again with the first
        ApiKey.objects.filter(pk=key_id, digest=digest).update(
            digest=_digest(key, secret), secret_id=signed_by, last_used_at=now
        )
    elif stale:
        ApiKey.objects.filter(pk=key_id).update(last_used_at=now)  # at most once a minute
    along_value = rest[0] if rest else None
    return User.from_db(connection.alias, ["id"], [user_id]), along_value
