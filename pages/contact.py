"""Contact channels as links: an e-mail address, a Telegram username, a WhatsApp number, a web
link or a support ticket in a department."""

import re
from urllib.parse import quote, urlencode

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.urls import reverse

_TELEGRAM = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{3,31})")
_PHONE = re.compile(r"\+?[0-9 ()-]{6,24}")


def channel_url(*, kind: str, value: str = "", department_id: int | None = None) -> str:
    """The link a visitor follows; ValueError when the value does not fit the kind."""
    value = value.strip()
    if kind == "ticket":
        query = urlencode({"department": department_id}) if department_id else ""
        return reverse("support:new") + (f"?{query}" if query else "")
    if kind == "email":
        try:
            EmailValidator()(value)
        except ValidationError as exc:
            raise ValueError("Enter an e-mail address, e.g. support@example.com.") from exc
        return f"mailto:{value}"
    if kind == "telegram":
        value = value.removeprefix("https://t.me/")
        match = _TELEGRAM.fullmatch(value)
        if not match:
            raise ValueError("Enter a Telegram username, e.g. @panel_support.")
        return f"https://t.me/{quote(match.group(1))}"
    if kind == "whatsapp":
        if not _PHONE.fullmatch(value):
            raise ValueError("Enter a phone number with its country code, e.g. +44 20 7946 0958.")
        return "https://wa.me/" + re.sub(r"\D", "", value)
    if kind == "link":
        try:
            URLValidator(schemes=["https", "http"])(value)
        except ValidationError as exc:
            raise ValueError("Enter a web address starting with https://.") from exc
        return value
    raise ValueError(f"Unknown kind of channel: {kind}")
