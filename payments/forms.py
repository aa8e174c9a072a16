"""The customer's forms: how much to add with a method, and a manual transfer's reference."""

import re
from decimal import Decimal

from django import forms
from django.conf import settings

from .models import Gateway, GatewayCurrency, TransferAccount
from .quotes import ZERO_DECIMAL

REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./_-]{3,63}\Z")


class StartForm(forms.Form):
    """Amount (in the chosen currency) and, where there is a choice, currency or account."""

    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))

    def __init__(self, *args, gateway: Gateway, **kwargs):
        super().__init__(*args, **kwargs)
        self.gateway = gateway
        self.currencies = {c.currency: c for c in gateway.currencies.all()}
        if gateway.code == "manual":
            self.accounts = {
                str(a.pk): a
                for a in TransferAccount.objects.filter(enabled=True, currency__in=self.currencies)
            }
            self.fields["account"] = forms.ChoiceField(
                label="Pay to",
                choices=[(pk, f"{a.name} ({a.currency})") for pk, a in self.accounts.items()],
                widget=forms.RadioSelect if len(self.accounts) > 1 else forms.HiddenInput,
                initial=next(iter(self.accounts), None),
            )
        elif len(self.currencies) > 1:
            self.fields["currency"] = forms.ChoiceField(choices=[(c, c) for c in self.currencies])
        self.order_fields(["account", "currency", "amount"])
        self.fields["amount"].help_text = self.limits_text()

    @property
    def usable(self) -> bool:
        return bool(self.currencies) and (self.gateway.code != "manual" or bool(self.accounts))

    def limits_text(self) -> str:
        return " · ".join(
            f"{c.min_amount.normalize():f}–{c.max_amount.normalize():,f} {code}"
            for code, c in self.currencies.items()
        )

    def clean(self):
        data = super().clean()
        currency = self.chosen_currency(data)
        amount = data.get("amount")
        if currency is None or amount is None:
            return data
        if currency.currency in ZERO_DECIMAL and amount != amount.to_integral_value():
            self.add_error("amount", f"{currency.currency} takes whole amounts.")
        elif not currency.min_amount <= amount <= currency.max_amount:
            self.add_error(
                "amount",
                f"Between {currency.min_amount.normalize():f} and "
                f"{currency.max_amount.normalize():,f} {currency.currency}.",
            )
        data["gateway_currency"] = currency
        return data

    def chosen_currency(self, data) -> GatewayCurrency | None:
        if self.gateway.code == "manual":
            account = self.accounts.get(data.get("account", ""))
            data["transfer_account"] = account
            return self.currencies.get(account.currency) if account else None
        if "currency" in self.fields:
            return self.currencies.get(data.get("currency", ""))
        return next(iter(self.currencies.values()), None)


class ReferenceForm(forms.Form):
    reference = forms.CharField(
        label="Transaction reference (UTR)",
        max_length=64,
        help_text="The reference your bank or UPI app shows for the transfer (UPI: 12 digits).",
    )

    def clean_reference(self) -> str:
        reference = " ".join(self.cleaned_data["reference"].split())
        if not REFERENCE.match(reference):
            raise forms.ValidationError("Letters, digits, spaces and . / _ - only (4 to 64).")
        return reference


def currency_note(gateway: Gateway) -> str:
    """The fee and bonus terms of a method, in one line."""
    parts = []
    if gateway.fee_percent:
        parts.append(f"Fee {gateway.fee_percent.normalize():f}% on top")
    if gateway.bonus_percent:
        start = f" from {gateway.bonus_from.normalize():f} {settings.PANEL_CURRENCY}"
        parts.append(
            f"+{gateway.bonus_percent.normalize():f}% bonus{start if gateway.bonus_from else ''}"
        )
    return " · ".join(parts)
