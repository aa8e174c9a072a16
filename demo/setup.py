"""The embedded demo's data: a demo admin, a demo customer, and the sandbox as a provider."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts import ledger
from accounts.apikeys import issue_key
from catalog.models import MarkupRule, Provider
from catalog.sync import SyncResult, sync_provider
from staff.models import ProviderWatch

DEMO_ADMIN = ("admin", "admin-demo")
DEMO_CUSTOMER = ("demo", "demo-customer")
DEMO_MARKUP = Decimal(30)


DEMO_FUNDS = Decimal(100)


@dataclass(frozen=True)
class Demo:
    provider: Provider
    sync: SyncResult
    api_key: str


def ensure_user(username: str, password: str, *, staff: bool):
    """Create the user with this password once; a password changed later is left alone."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    user = User(username=username, email=f"{username}@example.com", is_staff=staff)
    user.is_superuser = staff
    user.set_password(password)
    user.save()
    return user


def setup_demo(*, api_url: str, api_key: str) -> Demo:
    admin = ensure_user(*DEMO_ADMIN, staff=True)
    customer = ensure_user(*DEMO_CUSTOMER, staff=False)
    if not customer.ledger.exists():
        with transaction.atomic():
            ledger.adjust(user_id=customer.pk, amount=DEMO_FUNDS, reason="Demo funds", by=admin)
    provider, _ = Provider.objects.update_or_create(
        name="Sandbox",
        defaults={"api_url": api_url, "api_key": api_key, "currency": "USD", "enabled": True},
    )
    if not MarkupRule.objects.filter(category=None, provider=None).exists():
        MarkupRule.objects.create(percent=DEMO_MARKUP)
    # The staff dashboard's low-balance alert (the sandbox starts with 1000).
    ProviderWatch.objects.get_or_create(provider=provider, defaults={"low_balance": Decimal(100)})
    # A key is shown only when issued: a fresh one each run (the previous one stops working).
    return Demo(provider=provider, sync=sync_provider(provider), api_key=issue_key(customer))
