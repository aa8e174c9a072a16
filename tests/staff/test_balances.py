"""Balance history and the low-balance alert: one reading per check, one mail per crossing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.balances import check_balance
from catalog.models import Provider
from outbox.models import OutboxMail
from staff.balances import balance_views, record, spending_per_day
from staff.models import BalanceReading, ProviderWatch

pytestmark = pytest.mark.django_db


def low_balance_mails() -> list[OutboxMail]:
    return list(OutboxMail.objects.filter(key__startswith="staff:low-balance:").order_by("id"))


def test_every_check_is_kept_and_one_mail_goes_per_crossing(sandbox, sam, alice):
    """End to end against the sandbox: the checks the beat job makes build the history; going
    below the threshold mails staff once, however many checks stay below; coming back above
    and going below again is a new crossing."""
    provider = Provider.objects.create(name="Sandbox", api_url=sandbox.api_url, api_key=sandbox.key)
    ProviderWatch.objects.create(provider=provider, low_balance=Decimal("50"))
    seen = []
    before = sandbox.api("balance")["balance"]
    try:
        for amount in ["100", "40", "30", "20", "80", "10"]:
            sandbox.set_balance(amount)
            seen.append(check_balance(provider).amount)
    finally:  # the sandbox is shared: later tests' orders need its balance back
        sandbox.set_balance(before)

    readings = BalanceReading.objects.filter(provider=provider).order_by("checked_at", "id")
    assert [r.amount for r in readings] == [
        Decimal(a) for a in ["100", "40", "30", "20", "80", "10"]
    ]
    assert seen == [r.amount for r in readings]
    mails = low_balance_mails()
    assert len(mails) == 2  # at 40 (first crossing) and at 10 (after recovering at 80)
    assert mails[0].to == [sam.email]  # staff only: alice is a customer
    assert "Sandbox" in mails[0].subject and "40" in mails[0].subject
    assert ProviderWatch.objects.get(pk=provider.pk).low_since is not None


def test_no_threshold_no_alert(provider):
    now = timezone.now()
    assert not record(provider=provider, amount=Decimal(1), currency="USD", checked_at=now)
    assert BalanceReading.objects.filter(provider=provider).count() == 1
    assert low_balance_mails() == []


def test_recovery_clears_the_alert_and_the_next_drop_mails_again(provider, sam):
    ProviderWatch.objects.create(provider=provider, low_balance=Decimal("10"))
    now = timezone.now()
    steps = [("5", True), ("4", False), ("10", False), ("9.99", True), ("9", False)]
    for minutes, (amount, crosses) in enumerate(steps):
        at = now + timedelta(minutes=minutes)
        assert (
            record(provider=provider, amount=Decimal(amount), currency="USD", checked_at=at)
            is crosses
        )
    assert len(low_balance_mails()) == 2
    record(
        provider=provider, amount=Decimal("10"), currency="USD", checked_at=now + timedelta(hours=1)
    )
    assert ProviderWatch.objects.get(pk=provider.pk).low_since is None


def test_how_long_the_balance_lasts_at_the_recent_spending_rate(provider):
    """Spent 10 a day over two days (a top-up in between is not spending): 60 lasts 6 days."""
    now = timezone.now()
    history = [(0, "100"), (24, "90"), (30, "190"), (48, "180")]
    for hours, amount in history:
        record(
            provider=provider,
            amount=Decimal(amount),
            currency="USD",
            checked_at=now - timedelta(hours=48 - hours),
        )
    Provider.objects.filter(pk=provider.pk).update(
        balance=Decimal(60), balance_currency="USD", exchange_rate=Decimal("0.5")
    )
    provider.refresh_from_db()

    (view,) = balance_views(now, [provider])

    assert view.per_day == Decimal("10.00")
    assert view.days_left == Decimal("6.0")
    assert view.in_panel == Decimal("30.00")  # at the provider's exchange rate
    assert len(view.points) == 4


def test_spending_needs_two_readings_an_hour_apart():
    now = timezone.now()
    assert spending_per_day([(now, Decimal(5))]) is None
    assert spending_per_day([(now, Decimal(5)), (now + timedelta(minutes=5), Decimal(4))]) is None


def test_a_failing_history_never_fails_the_balance_check(provider, caplog):
    """The release of held orders asks for the balance: the history is not its problem. (A
    balance too large for the history's column makes the database refuse the reading.)"""
    from catalog.balances import balance_checked
    from catalog.upstream import Balance

    huge = Balance(Decimal("1E+15"), "USD")
    balance_checked.send(Provider, provider=provider, balance=huge, checked_at=timezone.now())
    Provider.objects.count()  # the connection is still usable
    assert "could not keep the balance reading" in caplog.text
    assert not BalanceReading.objects.exists()
