"""Provider balances: what the panel still has to spend upstream.

Every balance seen is announced with the `balance_checked` signal (sender: Provider; keyword
arguments `provider`, `balance`, `checked_at`), which the `staff` app turns into the balance
history and the low-balance alerts; `catalog` itself imports no app.
"""

import logging

from django.dispatch import Signal
from django.utils import timezone

from .failures import provider_failed
from .models import Provider
from .upstream import Balance, UpstreamError

log = logging.getLogger(__name__)


def check_balances() -> int:
    """Every enabled provider's balance (the periodic job); one provider's failure, whatever
    it is, is recorded on it and the next is asked. Returns how many answered."""
    answered = 0
    for provider in Provider.objects.filter(enabled=True):
        try:
            check_balance(provider)
        except UpstreamError as exc:  # already recorded on the provider row
            log.warning("balance check of provider %s failed: %s", provider.pk, exc.message)
        except Exception as exc:
            provider_failed(provider.pk, "Balance check", exc)
        else:
            answered += 1
    return answered


balance_checked = Signal()


def check_balance(provider: Provider) -> Balance:
    """Ask the provider for its balance and record it (or the error) on the provider row."""
    now = timezone.now()
    try:
        balance = provider.client().balance()
    except UpstreamError as exc:
        message = f"Balance check failed: {exc.message}"
        Provider.objects.filter(pk=provider.pk).update(last_error=message, last_error_at=now)
        provider.last_error = message
        raise
    Provider.objects.filter(pk=provider.pk).update(
        balance=balance.amount, balance_currency=balance.currency, balance_checked_at=now
    )
    provider.balance, provider.balance_currency = balance.amount, balance.currency
    provider.balance_checked_at = now
    balance_checked.send(Provider, provider=provider, balance=balance, checked_at=now)
    return balance
