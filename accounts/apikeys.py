"""API keys: created once and shown once, stored as prefix + HMAC, checked in constant time."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ApiKey, User

PREFIX_LENGTH = 12


def _digest(key: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), key.encode(), hashlib.sha256).hexdigest()


def issue_key(user: User) -> str:
    """A new key for `user`, replacing any old one (which stops working at once).

    Returns the key: the only time it exists in clear.
    """
    for _ in range(5):  # a prefix collision is astronomically rare; retry rather than fail
        key = secrets.token_urlsafe(36)  # 48 characters, 288 bits
        try:
            with transaction.atomic():
                ApiKey.objects.update_or_create(
                    user=user,
                    defaults={
                        "prefix": key[:PREFIX_LENGTH],
                        "digest": _digest(key),
                        "enabled": True,
                    },
                )
            return key
        except IntegrityError:
            continue
    raise RuntimeError("could not issue a unique API key")


def user_for_key(key: object) -> User | None:
    """The active customer owning `key`, or None. Constant-time comparison of the digest."""
    if not isinstance(key, str) or not (PREFIX_LENGTH < len(key) <= 200) or not key.isascii():
        return None
    row = (
        ApiKey.objects.select_related("user")
        .filter(prefix=key[:PREFIX_LENGTH], enabled=True, user__is_active=True)
        .first()
    )
    if row is None or not hmac.compare_digest(row.digest, _digest(key)):
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=row.pk).update(last_used_at=now)  # at most once a minute
    return row.user
