"""Forms of the account pages and of the accounts admin: parsing and checking only."""

import zoneinfo
from decimal import Decimal
from functools import cache

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import UserCreationForm

from .models import User

# A staff adjustment larger than this is a typo, not a correction.
MAX_ADJUSTMENT = Decimal("1000000")


def _email_taken(email: str, *, exclude: User | None = None) -> bool:
    others = User.objects.filter(email__iexact=email)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


class SignupForm(UserCreationForm):
    """Username, email and the password twice, checked by Django's password validators."""

    email = forms.EmailField(
        max_length=254,
        help_text="For password resets. We never share it.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if _email_taken(email):
            raise forms.ValidationError("An account with this email already exists.")
        return email


class EmailForm(forms.ModelForm):
    """The customer's own email, the one thing of the account they edit here."""

    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if _email_taken(email, exclude=self.instance):
            raise forms.ValidationError("Another account already uses this email.")
        return email

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        if commit:
            # Only this column: a full save would write back a stale balance (PasswordOnlySave).
            user.save(update_fields=["email"])
        return user


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone this machine knows, UTC first, the rest by name."""
    names = sorted(zoneinfo.available_timezones() - {"UTC", "localtime", "Factory"})
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


class SettingsForm(forms.ModelForm):
    """The customer's time zone and which mails they get."""

    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        help_text="Dates and times on your pages are shown in this zone.",
    )

    class Meta:
        model = User
        fields = (
            "time_zone",
            "notify_completed",
            "notify_partial",
            "notify_canceled",
            "notify_refill",
        )
        labels = {
            "notify_completed": "An order is completed",
            "notify_partial": "An order ends partial (with the refund)",
            "notify_canceled": "An order is canceled or fails (with the refund)",
            "notify_refill": "A refill is done",
        }

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        if commit:
            # Only these columns: a full save would write back a stale balance.
            user.save(update_fields=list(self.Meta.fields))
        return user


class AdjustBalanceForm(forms.Form):
    """A staff credit (positive) or debit (negative) with the reason the customer will see."""

    amount = forms.DecimalField(
        max_digits=14,
        decimal_places=7,
        min_value=-MAX_ADJUSTMENT,
        max_value=MAX_ADJUSTMENT,
        help_text="Positive adds to the balance, negative takes from it (up to 7 decimal places).",
    )
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Required. Stored with the ledger row and shown to the customer as its memo.",
    )

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("Enter an amount other than zero.")
        return amount

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError("Say why the balance changes.")
        if not reason.isprintable():
            raise forms.ValidationError("Use printable characters only.")
        return reason


class DecisionForm(forms.Form):
    """The optional note staff leave when approving or rejecting payments."""

    note = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Optional. Shown to the customer beside the payment.",
    )

    def clean_note(self) -> str:
        note = " ".join(self.cleaned_data["note"].split())
        if not note.isprintable():
            raise forms.ValidationError("Use printable characters only.")
        return note


class PasswordOnlySave:
    """Write only the password column when a password is set.

    A plain `user.save()` writes every column, the balance too, as it was read at the start of
    the request: a debit or credit committed meanwhile would be undone, and the balance would
    no longer match its ledger.
    """

    def set_password_and_save(self, user, *args, commit=True, **kwargs):
        user = super().set_password_and_save(user, *args, commit=False, **kwargs)
        if commit:
            user.save(update_fields=["password"])
        return user


class PasswordChangeForm(PasswordOnlySave, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(PasswordOnlySave, auth_forms.SetPasswordForm):
    pass


class AdminPasswordChangeForm(PasswordOnlySave, auth_forms.AdminPasswordChangeForm):
    pass
