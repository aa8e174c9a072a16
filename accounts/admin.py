"""Staff side of accounts: users and their balance, payments to decide, the ledger (read-only).

Money moves only through accounts.ledger and accounts.payments: each admin view or action
parses a form, calls one of their functions and reports what it did.
"""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from panel.money import format_money
from panel.readonly import ReadOnlyAdminMixin

from . import ledger
from .forms import AdjustBalanceForm, AdminPasswordChangeForm, DecisionForm
from .models import LedgerEntry, Payment, User
from .payments import METHODS, Decision, approve_payment, reject_payment

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


# --- payments ---------------------------------------------------------------------------------


class MethodFilter(admin.SimpleListFilter):
    title = "method"
    parameter_name = "method"

    def lookups(self, request, model_admin):
        return [(code, method.name) for code, method in METHODS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(method=self.value()) if self.value() else queryset


VERDICTS = {"approve": (approve_payment, "approved"), "reject": (reject_payment, "rejected")}


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Payments are decided, never edited: approve or reject, each exactly once."""

    change_form_template = "accounts/admin/payment_change_form.html"
    list_display = (
        "id", "user", "amount", "reference", "status", "created_at", "decided_by", "note",
    )  # fmt: skip
    list_filter = ("status", MethodFilter, "created_at")
    search_fields = ("=id", "user__username", "user__email", "reference")
    list_select_related = ("user", "decided_by")
    fields = (
        "user", "method_name", "amount", "reference", "status", "created_at", "decided_at",
        "decided_by", "note", "deposit",
    )  # fmt: skip
    readonly_fields = fields
    actions = ["approve_selected", "reject_selected"]
    show_full_result_count = False

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm("accounts.change_payment")

    @admin.display(description="method")
    def method_name(self, payment: Payment) -> str:
        method = METHODS.get(payment.method)
        return method.name if method else payment.method

    @admin.display(description="ledger entry")
    def deposit(self, payment: Payment) -> str:
        entry = payment.ledger.first()
        if entry is None:
            return "—"
        url = reverse("admin:accounts_ledgerentry_change", args=[entry.pk])
        return format_html('<a href="{}">#{} {}</a>', url, entry.pk, entry)

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [
            path(
                "<path:object_id>/approve/",
                decide,
                {"verdict": "approve"},
                name="accounts_payment_approve",
            ),
            path(
                "<path:object_id>/reject/",
                decide,
                {"verdict": "reject"},
                name="accounts_payment_reject",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_decide": self.has_decide_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Approve selected payments", permissions=["decide"])
    def approve_selected(self, request, queryset):
        return self._decide_selected(request, queryset, "approve")

    @admin.action(description="Reject selected payments", permissions=["decide"])
    def reject_selected(self, request, queryset):
        return self._decide_selected(request, queryset, "reject")

    def _decide_selected(self, request, queryset, verdict: str):
        """First a page asking for the note; then one decision per payment."""
        form = DecisionForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            decide, verb = VERDICTS[verdict]
            note = form.cleaned_data["note"]
            decisions = [
                decide(payment_id=pk, by=request.user, note=note)
                for pk in queryset.order_by("pk").values_list("pk", flat=True)
            ]
            self._report(request, decisions, verb)
            return None
        return self._decision_page(request, queryset, form, verdict, action=f"{verdict}_selected")

    def decide_view(self, request, object_id, verdict: str):
        payment = self.get_object(request, unquote(object_id))
        if payment is None:
            raise Http404("No such payment.")
        if not self.has_decide_permission(request):
            raise PermissionDenied
        form = DecisionForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            decide, verb = VERDICTS[verdict]
            self._report(
                request,
                [decide(payment_id=payment.pk, by=request.user, note=form.cleaned_data["note"])],
                verb,
            )
            return redirect("admin:accounts_payment_change", payment.pk)
        return self._decision_page(request, [payment], form, verdict, action=None)

    def _decision_page(self, request, payments, form, verdict: str, action: str | None):
        context = {
            **self.admin_site.each_context(request),
            "title": f"{verdict.capitalize()} payments",
            "opts": self.opts,
            "payments": payments,
            "form": form,
            "verdict": verdict,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "accounts/admin/decide_payments.html", context)

    def _report(self, request, decisions: list[Decision], verb: str) -> None:
        done = sum(decision.changed for decision in decisions)
        already = len(decisions) - done
        text = f"{done} payment{pluralize(done)} {verb}."
        if already:
            text += f" {already} already decided, left as {pluralize(already, 'it was,they were')}."
        self.message_user(request, text, messages.SUCCESS if done else messages.WARNING)


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
