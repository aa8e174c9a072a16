"""Staff side of accounts: users and their balance, the ledger (read-only). Payments are
decided in payments/admin.py.

Money moves only through accounts.ledger: each admin view or action
parses a form, calls one of their functions and reports what it did.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.admin import AuditedAdminMixin
from audit.record import record
from panel.money import format_money
from panel.readonly import ReadOnlyAdminMixin

from . import ledger
from .adminsite import reset_second_factor
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


ADJUST = "accounts.adjust_balance"


@admin.register(User)
class PanelUserAdmin(AuditedAdminMixin, UserAdmin):
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
    actions = ["adjust_balance", "reset_second_factor"]
    # Who may do what: roles and powers are what the audit trail records of a user.
    audit_fields = (
        "username", "email", "is_active", "is_staff", "is_superuser", "groups", "user_permissions",
    )  # fmt: skip

    def has_adjust_permission(self, request) -> bool:
        return request.user.has_perm(ADJUST)

    def has_reset_otp_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        before = self._audit_snapshot(User.objects.get(pk=obj.pk))
        request.__dict__.setdefault("_audit_pending", {})[id(obj)] = (before, change)
        # Never the balance: writing back the value read for this form would undo any debit
        # or credit committed since. It changes only through accounts.ledger.
        columns = [
            f.name for f in obj._meta.concrete_fields if not f.primary_key and f.name != "balance"
        ]
        obj.save(update_fields=columns)  # audited after its groups are saved (save_related)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_adjust": self.has_adjust_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        adjust = self.admin_site.admin_view(self.adjust_balance_view)
        return [
            path("<path:object_id>/adjust-balance/", adjust, name="accounts_user_adjust_balance"),
            *super().get_urls(),
        ]

    @admin.action(description="Adjust balance of the selected user", permissions=["adjust"])
    def adjust_balance(self, request, queryset):
        users = list(queryset[:2])
        if len(users) != 1:
            self.message_user(request, "Select exactly one user to adjust.", messages.WARNING)
            return None
        return redirect("admin:accounts_user_adjust_balance", users[0].pk)

    @admin.action(
        description="Reset second factor (2FA) of the selected staff", permissions=["reset_otp"]
    )
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            deleted = reset_second_factor(user)
            record(actor=request.user, action="reset_2fa", target=user,
                   note=f"{deleted} device(s) deleted; the next admin login enrols anew.")  # fmt: skip
            self.message_user(
                request, f"{user}: second factor reset; they set it up again at their next login.",
                messages.SUCCESS,
            )  # fmt: skip

    def adjust_balance_view(self, request, object_id):
        """A signed staff credit or debit with a required reason: one ledger.adjust call."""
        user = self.get_object(request, unquote(object_id))
        if user is None:
            raise Http404("No such user.")
        if not self.has_adjust_permission(request):
            raise PermissionDenied
        form = AdjustBalanceForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            amount, reason = form.cleaned_data["amount"], form.cleaned_data["reason"]
            try:
                with transaction.atomic():
                    entry = ledger.adjust(
                        user_id=user.pk, amount=amount, reason=reason, by=request.user
                    )
            except ledger.OwnMoney as exc:
                form.add_error(None, f"{exc} Nothing was changed.")
                record(actor=request.user, action="refused", target=user,
                       note=f"Own balance adjustment by {amount:+} refused: {reason}")  # fmt: skip
            except ledger.InsufficientFunds as exc:
                form.add_error(
                    "amount",
                    f"Not enough funds: the balance is {format_money(exc.balance)}, "
                    f"{format_money(exc.shortfall)} short of this debit. Nothing was changed.",
                )
            else:
                record(
                    actor=request.user, action="adjust_balance", target=user,
                    changes={"balance": [f"{entry.balance_after - amount:f}", f"{entry.balance_after:f}"]},
                    note=f"{amount:+} (ledger #{entry.pk}): {reason}",
                )  # fmt: skip
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


# --- roles: groups of permissions (Support, Finance, Catalog ship with the panel) -------------

admin.site.unregister(Group)
# django-otp's device pages would show each authenticator's secret to anyone who may view
# them: devices are enrolled by their owner (/admin/2fa/enrol/) and reset by a superuser (the
# users' action "Reset second factor"), never handled here.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(Group)
class RoleAdmin(AuditedAdminMixin, GroupAdmin):
    """Staff roles: each change of a role's name or permissions is audited."""


# --- login throttling (django-axes): its one action, with the permission it lacked ---------


class PanelAccessAttemptAdmin(AccessAttemptAdmin):
    @admin.action(description="Clean up expired attempts", permissions=["delete"])
    def cleanup_expired_attempts(self, request, queryset):
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(request, f"Cleaned up {count} expired access attempts.")


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, PanelAccessAttemptAdmin)


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
