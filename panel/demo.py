"""The embedded demo's data: a demo admin, a demo customer, and the sandbox as a provider."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model

from catalog.models import MarkupRule, Provider
from catalog.sync import SyncResult, sync_provider

DEMO_ADMIN = ("admin", "admin-demo")
DEMO_CUSTOMER = ("demo", "demo-customer")
DEMO_MARKUP = Decimal(30)


@dataclass(frozen=True)
class Demo:
    provider: Provider
    sync: SyncResult


def ensure_user(username: str, password: str, *, staff: bool) -> None:
    """Create the user with this password once; a password changed later is left alone."""
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        return
    user = User(username=username, email=f"{username}@example.com", is_staff=staff)
    user.is_superuser = staff
    user.set_password(password)
    user.save()


def setup_demo(*, api_url: str, api_key: str) -> Demo:
    ensure_user(*DEMO_ADMIN, staff=True)
    ensure_user(*DEMO_CUSTOMER, staff=False)
    provider, _ = Provider.objects.update_or_create(
        name="Sandbox",
        defaults={"api_url": api_url, "api_key": api_key, "currency": "USD", "enabled": True},
    )
    if not MarkupRule.objects.filter(category=None, provider=None).exists():
        MarkupRule.objects.create(percent=DEMO_MARKUP)
    return Demo(provider=provider, sync=sync_provider(provider))
