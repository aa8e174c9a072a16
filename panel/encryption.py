"""Secrets at rest: provider API keys and gateway secrets are stored encrypted.

A database dump alone must not spend the panel's balance at every provider. The keys come from
the environment (`FIELD_ENCRYPTION_KEYS`, comma-separated Fernet keys): the first encrypts,
every one decrypts, so a key is rotated by putting a new one first, running
`manage.py rotate_encryption`, then dropping the old one (README, "Secrets").
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:  # never echo the key itself
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS: each key must be 32 url-safe base64-encoded bytes"
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "a stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS "
            "(was the key that encrypted it removed?)"
        ) from None


def rotate(token: str) -> str:
    """The same secret encrypted under the first key (MultiFernet.rotate)."""
    return fernet().rotate(token.encode()).decode() if token else ""


def is_encrypted(value: str) -> bool:
    """Whether a stored value is one of our tokens (a data migration encrypts only the others)."""
    if not value:
        return True
    try:
        fernet().decrypt(value.encode())
    except InvalidToken:
        return False
    return True


class EncryptedTextField(models.TextField):
    """A text whose column holds a Fernet token and whose Python value is the plain text.

    Not searchable or orderable by content (each encryption differs); "" stays "".
    """

    def from_db_value(self, value, expression, connection):
        return value if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else encrypt(value)
