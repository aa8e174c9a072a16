"""Staff side of accounts: users and their balance, the ledger (read-only). Payments are
decided in payments/admin.py.

Money moves only through accounts.ledger: each admin view or action
parses a form, calls one of their functions and reports what it did.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from panel.money import format_money
from panel.readonly import ReadOnlyAdminMixin

from . import ledger
from .forms import AdjustBalanceForm, AdminPasswordChangeForm
from .models import LedgerEntry, User

# --- users ------------------------------------------------------------------------------------


class BalanceFilter(admin.SimpleListFilter):
    title = "balance"
    parameter_name = "balance"

    def lookups(self, request, model_admin):
        return [("positive", "Above zero"), ("zero", "Zero")]

    def queryset(self, request, queryset):
        if self.value() == "positive":
            return queryset.filter(balance__gt=0)
        if self.value() == "zero":
            return queryset.filter(balance=0)
        return queryset


@admin.register(User)
class PanelUserAdmin(UserAdmin):
    change_form_template = "accounts/admin/user_change_form.html"
    change_password_form = AdminPasswordChangeForm
    list_display = (
        "username", "email", "balance", "is_active", "is_staff", "date_joined", "last_login",
    )  # fmt: skip
    list_filter = (BalanceFilter, "is_staff", "is_superuser", "is_active", "date_joined", "groups")
    search_fields = ("=id", "username", "email", "first_name", "last_name")
    readonly_fields = ("balance", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password", "balance")}),
        *UserAdmin.fieldsets[1:],
    )
    actions = ["adjust_balance"]

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # Never the balance: writing back the value read for this form would undo any debit
        # or credit committed since. It changes only through accounts.ledger.
        columns = [
            f.name for f in obj._meta.concrete_fields if not f.primary_key and f.name != "balance"
        ]
        obj.save(update_fields=columns)

    def get_urls(self):
        adjust = self.admin_site.admin_view(self.adjust_balance_view)
        return [
            path("<path:object_id>/adjust-balance/", adjust, name="accounts_user_adjust_balance"),
            *super().get_urls(),
        ]

    @admin.action(description="Adjust balance of the selected user", permissions=["change"])
    def adjust_balance(self, request, queryset):
        users = list(queryset[:2])
        if len(users) != 1:
            self.message_user(request, "Select exactly one user to adjust.", messages.WARNING)
            return None
        return redirect("admin:accounts_user_adjust_balance", users[0].pk)

    def adjust_balance_view(self, request, object_id):
        """A signed staff credit or debit with a required reason: one ledger.adjust call."""
        user = self.get_object(request, unquote(object_id))
        if user is None:
            raise Http404("No such user.")
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        form = AdjustBalanceForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            amount, reason = form.cleaned_data["amount"], form.cleaned_data["reason"]
            try:
                with transaction.atomic():
                    entry = ledger.adjust(
                        user_id=user.pk, amount=amount, reason=reason, by=request.user
                    )
            except ledger.InsufficientFunds as exc:
                form.add_error(
                    "amount",
                    f"Not enough funds: the balance is {format_money(exc.balance)}, "
                    f"{format_money(exc.shortfall)} short of this debit. Nothing was changed.",
                )
            else:
                self.log_change(
                    request, user, f"Balance adjusted by {amount:+} (ledger #{entry.pk}): {reason}"
                )
                self.message_user(
                    request,
                    f"Balance of {user} adjusted by {amount:+}; it is now {entry.balance_after}.",
                    messages.SUCCESS,
                )
                return redirect("admin:accounts_user_change", user.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust balance of {user}",
            "opts": self.opts,
            "original": user,
            "form": form,
            "recent_entries": user.ledger.order_by("-id")[:10],
        }
        return TemplateResponse(request, "accounts/admin/adjust_balance.html", context)


# --- ledger -----------------------------------------------------------------------------------


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger is append-only: here it is only read."""

    list_display = (
        "id", "created_at", "user", "kind", "amount", "balance_after", "belongs_to", "created_by",
        "memo",
    )  # fmt: skip
    list_filter = ("kind",)
    search_fields = ("user__username", "user__email", "=order__id", "=payment__id", "memo")
    date_hierarchy = "created_at"
    list_select_related = ("user", "created_by")
    show_full_result_count = False

    @admin.display(description="for")
    def belongs_to(self, entry: LedgerEntry) -> str:
        if entry.order_id:
            return f"Order #{entry.order_id}"
        if entry.payment_id:
            url = reverse("admin:accounts_payment_change", args=[entry.payment_id])
            return format_html('<a href="{}">Payment #{}</a>', url, entry.payment_id)
        return "—"
