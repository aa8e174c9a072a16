"""Staff side of payments: gateways and their secrets, transfer accounts, payments to decide,
refunds and disputes with what is owed.

Every action that moves money needs `accounts.decide_payment` (staff roles, issue 10) and calls
one function of payments/crediting.py or payments/reversals.py.
"""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.forms import DecisionForm
from accounts.ledger import OwnMoney
from accounts.models import Payment
from audit.admin import AuditedAdminMixin
from audit.record import record
from panel.admin_secrets import SecretFieldsMixin
from panel.readonly import ReadOnlyAdminMixin

from .crediting import Decision, approve_payment, reject_payment
from .methods import METHODS, method_name
from .models import Gateway, GatewayCurrency, Reversal, TransferAccount
from .reversals import close_reversal, collect_owed
from .starting import duplicates_of

DECIDE = "accounts.decide_payment"


class DecideMixin:
    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm(DECIDE)


# --- configuration ----------------------------------------------------------------------------


class GatewayCurrencyInline(admin.TabularInline):
    model = GatewayCurrency
    extra = 0
    fields = ("currency", "exchange_rate", "min_amount", "max_amount")


@admin.register(Gateway)
class GatewayAdmin(AuditedAdminMixin, SecretFieldsMixin, admin.ModelAdmin):
    secret_fields = ("api_secret", "webhook_secret")
    list_display = ("name", "code", "enabled", "currency_list", "fee_percent", "bonus_percent")
    list_editable = ("enabled",)
    inlines = [GatewayCurrencyInline]
    fieldsets = (
        (None, {"fields": ("code", "enabled", "name", "instructions", "position")}),
        ("Credentials", {"fields": ("key_id", "api_secret", "webhook_secret", "webhook_path")}),
        ("Fee and bonus", {"fields": ("fee_percent", "bonus_percent", "bonus_from")}),
    )
    readonly_fields = ("code", "webhook_path")

    def has_add_permission(self, request):
        return False  # one row per method module, made by the migrations

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("currencies")

    @admin.display(description="currencies")
    def currency_list(self, gateway: Gateway) -> str:
        return ", ".join(c.currency for c in gateway.currencies.all()) or "—"

    @admin.display(description="webhook address")
    def webhook_path(self, gateway: Gateway) -> str:
        method = METHODS.get(gateway.code)
        if method is None or not method.hosted:
            return "— (staff approve each transfer)"
        return f"https://<this panel>{reverse('payment_webhook', args=[gateway.code])}"


@admin.register(TransferAccount)
class TransferAccountAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "currency", "upi_id", "enabled", "position")
    list_editable = ("enabled", "position")
    fields = ("kind", "name", "currency", "details", "upi_id", "payee_name", "enabled", "position")


# --- payments ---------------------------------------------------------------------------------


class MethodFilter(admin.SimpleListFilter):
    title = "method"
    parameter_name = "method"

    def lookups(self, request, model_admin):
        return [(code, method.name) for code, method in METHODS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(method=self.value()) if self.value() else queryset


class FlaggedFilter(admin.SimpleListFilter):
    title = "needs a look"
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", "Flagged or reference used twice")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(Q(same_reference=True) | ~Q(flag=""))
        return queryset


VERDICTS = {"approve": (approve_payment, "approved"), "reject": (reject_payment, "rejected")}


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, DecideMixin, admin.ModelAdmin):
    """Payments are decided, never edited: approve or reject, each exactly once."""

    change_form_template = "accounts/admin/payment_change_form.html"
    list_display = (
        "id", "user", "method_name", "amount", "paid", "reference", "status", "warning",
        "created_at", "decided_by",
    )  # fmt: skip
    list_filter = ("status", FlaggedFilter, MethodFilter, "created_at")
    search_fields = (
        "=id", "user__username", "user__email", "reference", "=gateway_ref", "=gateway_payment_id",
    )  # fmt: skip
    list_select_related = ("user", "decided_by")
    fields = (
        "user", "method_name", "amount", "paid", "fee", "exchange_rate", "bonus", "reference",
        "status", "warning", "gateway_ref", "gateway_payment_id", "shown", "created_at",
        "decided_at", "decided_by", "note", "deposit",
    )  # fmt: skip
    readonly_fields = fields
    actions = ["approve_selected", "reject_selected"]
    show_full_result_count = False

    def get_queryset(self, request):
        same = Payment.objects.filter(reference__iexact=OuterRef("reference")).exclude(
            pk=OuterRef("pk")
        )
        return (
            super().get_queryset(request).annotate(same_reference=Exists(same) & ~Q(reference=""))
        )

    @admin.display(description="method")
    def method_name(self, payment: Payment) -> str:
        return method_name(payment.method)

    @admin.display(description="customer pays")
    def paid(self, payment: Payment) -> str:
        if payment.gateway_amount is None:
            return "—"
        return f"{payment.gateway_amount.normalize():f} {payment.currency}"

    @admin.display(description="shown to the customer")
    def shown(self, payment: Payment) -> str:
        return ", ".join(f"{k}: {v}" for k, v in payment.details.items() if k not in ("url",) and v)

    @admin.display(description="needs a look")
    def warning(self, payment: Payment) -> str:
        parts = [payment.flag] if payment.flag else []
        # The changelist's annotation spares the look-up for the rows without duplicates.
        if getattr(payment, "same_reference", True) and (others := duplicates_of(payment)):
            parts.append(f"Reference also on {', '.join(others)}")
        return " · ".join(parts)

    @admin.display(description="ledger entries")
    def deposit(self, payment: Payment) -> str:
        entries = list(payment.ledger.order_by("id"))
        if not entries:
            return "—"
        links = [
            format_html(
                '<a href="{}">#{} {}</a>',
                reverse("admin:accounts_ledgerentry_change", args=[e.pk]),
                e.pk,
                e,
            )
            for e in entries
        ]
        return format_html(", ".join(["{}"] * len(links)), *links)

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
        """First a page asking for the note (showing what needs a look); then one decision
        per payment."""
        form = DecisionForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            note = form.cleaned_data["note"]
            pks = queryset.order_by("pk").values_list("pk", flat=True)
            self._report(
                request, self._decisions(request, pks, verdict, note), VERDICTS[verdict][1]
            )
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
            note = form.cleaned_data["note"]
            decisions = self._decisions(request, [payment.pk], verdict, note)
            self._report(request, decisions, VERDICTS[verdict][1])
            return redirect("admin:accounts_payment_change", payment.pk)
        return self._decision_page(request, [payment], form, verdict, action=None)

    def _decisions(self, request, pks, verdict: str, note: str) -> list[Decision]:
        """One decision per payment, each audited; one's own payment refused (and audited)."""
        decide, verb = VERDICTS[verdict]
        decisions = []
        for pk in pks:
            try:
                decision = decide(payment_id=pk, by=request.user, note=note)
            except OwnMoney as exc:
                self.message_user(request, f"Payment #{pk}: {exc}", messages.ERROR)
                record(actor=request.user, action="refused", target_type="accounts.payment",
                       target_id=pk, note=f"{verdict} of one's own payment refused: {note}")  # fmt: skip
                continue
            decisions.append(decision)
            if decision.changed:
                payment = decision.payment
                record(
                    actor=request.user, action=f"{verdict}_payment", target=payment,
                    changes={"status": ["pending", payment.status]},
                    note=f"{payment.amount} for {payment.user}: {note}",
                )  # fmt: skip
        return decisions

    def _decision_page(self, request, payments, form, verdict: str, action: str | None):
        payments = list(payments)
        for payment in payments:
            payment.warning_text = self.warning(payment)
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
        if not decisions:
            return
        done = sum(decision.changed for decision in decisions)
        already = len(decisions) - done
        text = f"{done} payment{pluralize(done)} {verb}."
        if already:
            text += f" {already} already decided, left as {pluralize(already, 'it was,they were')}."
        self.message_user(request, text, messages.SUCCESS if done else messages.WARNING)


# --- refunds and disputes ---------------------------------------------------------------------


class OwedFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("owed", "Owed (ordering paused)"), ("open", "Not yet decided")]

    def queryset(self, request, queryset):
        if self.value() == "owed":
            return queryset.filter(owed__gt=0)
        if self.value() == "open":
            return queryset.filter(decided_at__isnull=True)
        return queryset


@admin.register(Reversal)
class ReversalAdmin(ReadOnlyAdminMixin, DecideMixin, admin.ModelAdmin):
    """Refunds and disputes reported by gateways: recorded once, decided by staff."""

    list_display = (
        "id", "created_at", "user", "payment_link", "kind", "amount", "currency", "take_back",
        "taken", "owed", "written_off", "decided_at", "decided_by",
    )  # fmt: skip
    list_filter = (OwedFilter, "kind")
    search_fields = ("user__username", "user__email", "=payment__id", "=gateway_ref")
    list_select_related = ("user", "payment", "decided_by")
    readonly_fields = [f.name for f in Reversal._meta.fields]
    actions = ["collect_selected", "write_off_selected"]

    @admin.display(description="payment")
    def payment_link(self, reversal: Reversal) -> str:
        url = reverse("admin:accounts_payment_change", args=[reversal.payment_id])
        return format_html('<a href="{}">#{}</a>', url, reversal.payment_id)

    @admin.action(
        description="Collect what is owed from the current balance", permissions=["decide"]
    )
    def collect_selected(self, request, queryset):
        collected = []
        for pk in self._not_own(request, queryset, "collect"):
            collected.append(reversal := collect_owed(reversal_id=pk, by=request.user))
            record(actor=request.user, action="collect_owed", target=reversal,
                   note=f"still owed: {reversal.owed}")  # fmt: skip
        owing = sum(1 for r in collected if r.owed > 0)
        self.message_user(
            request,
            f"{len(collected)} reversal{pluralize(len(collected))} collected as far as the "
            f"balance goes; {owing} still owed.",
            messages.SUCCESS if not owing else messages.WARNING,
        )

    @admin.action(
        description="Decide: write off what is still owed and resume ordering",
        permissions=["decide"],
    )
    def write_off_selected(self, request, queryset):
        done = 0
        for pk in self._not_own(request, queryset, "write off"):
            if close_reversal(reversal_id=pk, by=request.user, note="written off in admin"):
                done += 1
                record(actor=request.user, action="write_off", target_type="payments.reversal",
                       target_id=pk, note="written off in admin")  # fmt: skip
        self.message_user(request, f"{done} reversal{pluralize(done)} decided.", messages.SUCCESS)

    def _not_own(self, request, queryset, verb: str) -> list[int]:
        """The ids to act on: one's own money is refused (with a message, audited)."""
        own = _ids(queryset.filter(user_id=request.user.pk))
        for pk in own:
            self.message_user(
                request, f"Reversal #{pk}: nobody decides their own money.", messages.ERROR
            )
            record(actor=request.user, action="refused", target_type="payments.reversal",
                   target_id=pk, note=f"{verb} of one's own reversal refused")  # fmt: skip
        return _ids(queryset.exclude(user_id=request.user.pk))


def _ids(queryset) -> list[int]:
    return list(queryset.order_by("pk").values_list("pk", flat=True))
